import Foundation
import Linalg

/// Whether the student's frozen LogME projection can reach the teachers' target
/// without blowing up the student's features.
///
/// B-Tuning trains f_s m_sᵀ towards the target T = Σ_k pi_k f_k m_kᵀ with m_s fixed.
/// When the student's pre-trained features carry little label information, LogME
/// shrinks m_s towards zero (its prior precision alpha grows), so f_s m_sᵀ is tiny and
/// the only way to match T is to make the features huge: the gradient keeps pushing
/// f_s along m_s until ‖f_s‖ ~ ‖T‖ / ‖m_s‖, which swamps the classifier head.
///
/// The measure is the cost of that match on the training set. With F_s (N x D) the
/// student's pre-trained features, R = T − F_s m_sᵀ the gap, and the thin SVD
/// m_s = U S Vᵀ, the smallest change ΔF with (F_s + ΔF) m_sᵀ = T on the reachable
/// directions is ΔF* = R U S⁻¹ Vᵀ. Then
///   - `requiredGrowth` = ‖ΔF*‖_F / ‖F_s‖_F: how many times their own size the
///     features must move; above 1 the projection can only be matched by more than
///     doubling the features;
///   - `unreachableShare` = ‖R (I − U Uᵀ)‖_F / ‖T‖_F: the part of the target outside
///     the range of m_s (columns LogME gave no signal have a zero row in m_s), which no
///     change of features reaches; 1 when m_s is exactly zero.
/// Both are invariant to rescaling the student's features (m_s rescales inversely).
/// The projection is degenerate when either exceeds its threshold.
package struct ProjectionReach: Sendable, Equatable {
    package let requiredGrowth: Double
    package let unreachableShare: Double
    /// ‖F_s m_sᵀ‖_F / ‖T‖_F, for the log (the raw scale mismatch).
    package let scaleRatio: Double

    /// Matching needs the features to move by more than their own norm.
    package static let defaultGrowthThreshold = 1.0
    /// More than half of the target lies outside the projection's range.
    package static let unreachableThreshold = 0.5

    package func isDegenerate(growthThreshold: Double = defaultGrowthThreshold) -> Bool {
        !(requiredGrowth <= growthThreshold) || !(unreachableShare <= Self.unreachableThreshold)
    }

    /// - Parameters:
    ///   - features: the student's pre-trained training features F_s (N x D).
    ///   - posteriorMean: its LogME posterior mean m_s (C x D).
    ///   - target: the teachers' target T (N x C).
    package static func measure(features: Matrix, posteriorMean: Matrix, target: Matrix) throws -> ProjectionReach {
        let n = features.rows, c = posteriorMean.rows
        precondition(
            features.columns == posteriorMean.columns && target.rows == n && target.columns == c,
            "ProjectionReach: shapes do not match")
        let prediction = try features.multiplied(by: posteriorMean, transposingOther: true)
        var gap = target
        for i in gap.storage.indices { gap.storage[i] -= prediction.storage[i] }
        let svd = try posteriorMean.thinSVD()
        let sMax = svd.singularValues.first ?? 0
        let tolerance = sMax * Double(Swift.max(c, posteriorMean.columns)) * Double.ulpOfOne
        // Coordinates of each gap row on the left singular vectors: R U (N x r).
        let coordinates = try gap.multiplied(by: svd.left)
        var changeSquared = 0.0
        // The unreachable part R (I − U Uᵀ), formed directly rather than as
        // ‖R‖² − ‖R U‖², which would cancel to rounding noise when it is small.
        var unreachablePart = gap
        for j in svd.singularValues.indices where svd.singularValues[j] > tolerance {
            var column = 0.0
            for r in 0..<n {
                let coordinate = coordinates[r, j]
                column += coordinate * coordinate
                for col in 0..<c { unreachablePart[r, col] -= coordinate * svd.left[col, j] }
            }
            changeSquared += column / (svd.singularValues[j] * svd.singularValues[j])
        }
        let featureNorm = squaredNorm(features).squareRoot()
        let targetNorm = squaredNorm(target).squareRoot()
        let growth = changeSquared == 0 ? 0 : changeSquared.squareRoot() / featureNorm
        let unreachable = targetNorm == 0 ? 0 : squaredNorm(unreachablePart).squareRoot() / targetNorm
        let ratio = targetNorm == 0 ? .infinity : squaredNorm(prediction).squareRoot() / targetNorm
        return ProjectionReach(requiredGrowth: growth, unreachableShare: unreachable, scaleRatio: ratio)
    }

    private static func squaredNorm(_ m: Matrix) -> Double { m.storage.reduce(0) { $0 + $1 * $1 } }

    package var summary: String {
        "required feature growth \(TeacherSelection.format(requiredGrowth, digits: 3)), unreachable share \(TeacherSelection.format(unreachableShare, digits: 3)), scale ratio ‖f_s m_sᵀ‖/‖target‖ \(TeacherSelection.format(scaleRatio, digits: 3))"
    }
}
