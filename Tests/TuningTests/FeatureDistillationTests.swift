import Foundation
import Testing
import Torch
@testable import Tuning

@Suite("Feature distillation losses")
struct FeatureDistillationTests {
    typealias G = LossGoldens

    var student: Tensor { get throws { try goldenTensor(G.featureStudent, G.featureStudentShape) } }
    var teacher: Tensor { get throws { try goldenTensor(G.featureTeacher, G.featureTeacherShape) } }

    @Test("match PyTorch: attention (with pooling), SP, RKD distance and angle, PKT")
    func goldens() throws {
        let ms = try goldenTensor(G.mapStudent, G.mapStudentShape), mt = try goldenTensor(G.mapTeacher, G.mapTeacherShape)
        expectNear(try FeatureDistillation.attention(student: ms, teacher: mt).item(), G.attention)
        expectNear(try FeatureDistillation.similarityPreserving(student: student, teacher: teacher).item(), G.similarity)
        expectNear(try FeatureDistillation.rkdDistance(student: student, teacher: teacher).item(), G.rkdDistance)
        expectNear(try FeatureDistillation.rkdAngle(student: student, teacher: teacher).item(), G.rkdAngle)
        expectNear(try FeatureDistillation.pkt(student: student, teacher: teacher).item(), G.pkt)
    }

    @Test("attention map by hand: channel mean of squares, normalised")
    func attentionByHand() throws {
        // One sample, two channels, 1x2 map: means of squares (1+9)/2 = 5, (4+16)/2 = 10.
        let f = try Tensor([1.0, 2, 3, 4], shape: [1, 2, 1, 2])
        let map = try FeatureDistillation.attentionMap(f).toArray(of: Double.self)
        expectNear(map[0], 5 / sqrt(125.0))
        expectNear(map[1], 10 / sqrt(125.0))
        // A scaled copy has the same attention: zero loss.
        expectNear(try FeatureDistillation.attention(student: f, teacher: f * 3).item(), 0, tolerance: 1e-15)
    }

    @Test("similarity-preserving by hand: orthogonal against parallel rows gives 1 - √2/2")
    func similarityByHand() throws {
        let s = try Tensor([1.0, 0, 0, 1], shape: [2, 2])
        let t = try Tensor([1.0, 0, 1, 0], shape: [2, 2])
        expectNear(try FeatureDistillation.similarityPreserving(student: s, teacher: t).item(), 1 - sqrt(2.0) / 2)
    }

    @Test("relations ignore scale, translation (RKD) and width")
    func invariances() throws {
        let s = try student
        // A teacher that is a scaled, shifted copy in a wider space has the same geometry.
        let wide = try Tensor.cat([s * 2.5 + 1.0, Tensor.zeros([5, 2], dtype: .float64)], dim: 1)
        expectNear(try FeatureDistillation.rkdDistance(student: s, teacher: s * 2.5).item(), 0, tolerance: 1e-12)
        expectNear(try FeatureDistillation.rkdAngle(student: s, teacher: wide).item(), 0, tolerance: 1e-12)
        expectNear(try FeatureDistillation.similarityPreserving(student: s, teacher: s * 3).item(), 0, tolerance: 1e-12)
        #expect(try FeatureDistillation.pkt(student: s, teacher: s).item() < 1e-6)
    }

    @Test("gradients match finite differences: RKD angle and distance, PKT, SP, attention")
    func gradients() throws {
        let t = try teacher
        try lossGradientCheck(try student) { try FeatureDistillation.rkdAngle(student: $0, teacher: t) }
        try lossGradientCheck(try student) { try FeatureDistillation.rkdDistance(student: $0, teacher: t) }
        try lossGradientCheck(try student) { try FeatureDistillation.pkt(student: $0, teacher: t) }
        try lossGradientCheck(try student) { try FeatureDistillation.similarityPreserving(student: $0, teacher: t) }
        let mt = try goldenTensor(G.mapTeacher, G.mapTeacherShape)
        try lossGradientCheck(try goldenTensor(G.mapStudent, G.mapStudentShape)) { try FeatureDistillation.attention(student: $0, teacher: mt) }
    }

    @Test("no gradient reaches the teacher features")
    func teacherDetached() throws {
        let s = try student.requiresGrad(true), t = try teacher.requiresGrad(true)
        let total =
            try FeatureDistillation.rkdAngle(student: s, teacher: t) + FeatureDistillation.rkdDistance(student: s, teacher: t)
            + FeatureDistillation.pkt(student: s, teacher: t) + FeatureDistillation.similarityPreserving(student: s, teacher: t)
        try total.backward()
        #expect(s.grad != nil)
        #expect(t.grad == nil)
    }

    @Test("batch mismatches and too-small batches are errors")
    func errors() throws {
        let a = try Tensor.zeros([4, 3]), b = try Tensor.zeros([5, 3])
        #expect(
            throws: TorchError.invalidArgument(operation: "FeatureDistillation.pkt", message: "student and teacher batches differ: [4, 3] vs [5, 3]")
        ) {
            try FeatureDistillation.pkt(student: a, teacher: b)
        }
        let two = try Tensor.zeros([2, 3])
        #expect(throws: TorchError.invalidArgument(operation: "FeatureDistillation.rkdAngle", message: "needs a batch of at least 3, got 2")) {
            try FeatureDistillation.rkdAngle(student: two, teacher: two)
        }
        #expect(
            throws: TorchError.invalidArgument(operation: "FeatureDistillation.attention", message: "student map must have rank 4, got shape [4, 3]")
        ) {
            try FeatureDistillation.attention(student: a, teacher: a)
        }
    }
}
