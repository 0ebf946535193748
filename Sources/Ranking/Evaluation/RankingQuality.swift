/// How well one ranking of models (by a transferability score or a static
/// baseline) predicted their fine-tuning results.
///
/// A `nil` field means the statistic is undefined for this data; `notes` says
/// why. When encoded, every key is present and undefined values are `null`,
/// so report columns stay aligned.
public struct RankingQuality: Sendable, Codable, Equatable {
    /// ``RankCorrelation/weightedTau(_:_:)`` of scores against truth.
    public var weightedTau: Double?
    /// ``RankCorrelation/kendallTauB(_:_:)`` of scores against truth.
    public var kendallTau: Double?
    /// ``RankCorrelation/spearman(_:_:)`` of scores against truth.
    public var spearman: Double?
    /// ``RankCorrelation/pearson(_:_:)`` of scores against truth.
    public var pearson: Double?
    /// ``RankingEvaluation/relativeTopK(scores:truth:k:)`` with k = 1.
    public var relativeTop1: Double?
    /// ``RankingEvaluation/relativeTopK(scores:truth:k:)`` with k = 3.
    public var relativeTop3: Double?
    /// ``RankingEvaluation/regretTop1(scores:truth:)``, in truth units; always
    /// defined.
    public var regretTop1: Double
    /// ``RankingEvaluation/relativeRegretTop1(scores:truth:)``.
    public var relativeRegretTop1: Double?
    /// One sentence per undefined statistic or tie that affected a top-k pick.
    public var notes: [String]

    public init(
        weightedTau: Double?, kendallTau: Double?, spearman: Double?, pearson: Double?,
        relativeTop1: Double?, relativeTop3: Double?,
        regretTop1: Double, relativeRegretTop1: Double?, notes: [String]
    ) {
        self.weightedTau = weightedTau
        self.kendallTau = kendallTau
        self.spearman = spearman
        self.pearson = pearson
        self.relativeTop1 = relativeTop1
        self.relativeTop3 = relativeTop3
        self.regretTop1 = regretTop1
        self.relativeRegretTop1 = relativeRegretTop1
        self.notes = notes
    }

    public enum CodingKeys: String, CodingKey {
        case weightedTau = "weighted_tau"
        case kendallTau = "kendall_tau"
        case spearman
        case pearson
        case relativeTop1 = "rel_top1"
        case relativeTop3 = "rel_top3"
        case regretTop1 = "regret_top1"
        case relativeRegretTop1 = "rel_regret_top1"
        case notes
    }

    // Written out so that `nil` encodes as an explicit `null` (the synthesized
    // conformance would drop the key).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(weightedTau, forKey: .weightedTau)
        try container.encode(kendallTau, forKey: .kendallTau)
        try container.encode(spearman, forKey: .spearman)
        try container.encode(pearson, forKey: .pearson)
        try container.encode(relativeTop1, forKey: .relativeTop1)
        try container.encode(relativeTop3, forKey: .relativeTop3)
        try container.encode(regretTop1, forKey: .regretTop1)
        try container.encode(relativeRegretTop1, forKey: .relativeRegretTop1)
        try container.encode(notes, forKey: .notes)
    }

    // Missing optional keys decode as `nil` and missing notes as none, so
    // reports written by other tools (or older versions) still load.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        weightedTau = try container.decodeIfPresent(Double.self, forKey: .weightedTau)
        kendallTau = try container.decodeIfPresent(Double.self, forKey: .kendallTau)
        spearman = try container.decodeIfPresent(Double.self, forKey: .spearman)
        pearson = try container.decodeIfPresent(Double.self, forKey: .pearson)
        relativeTop1 = try container.decodeIfPresent(Double.self, forKey: .relativeTop1)
        relativeTop3 = try container.decodeIfPresent(Double.self, forKey: .relativeTop3)
        regretTop1 = try container.decode(Double.self, forKey: .regretTop1)
        relativeRegretTop1 = try container.decodeIfPresent(Double.self, forKey: .relativeRegretTop1)
        notes = try container.decodeIfPresent([String].self, forKey: .notes) ?? []
    }
}
