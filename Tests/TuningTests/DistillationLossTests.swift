import Foundation
import Testing
import Torch
@testable import Tuning

@Suite("Distillation losses")
struct DistillationLossTests {
    typealias G = LossGoldens

    @Test("KD: closed form on two classes, the T² factor, zero for equal logits")
    func kdClosedForm() throws {
        // Teacher softmax [3/4, 1/4], student [1/2, 1/2]: KL = 3/4 ln(3/2) + 1/4 ln(1/2).
        let kl = 0.75 * log(1.5) + 0.25 * log(0.5)
        let student = try Tensor([0.0, 0.0], shape: [1, 2])
        let atOne = try Distillation.kd(student: student, teacher: Tensor([log(3.0), 0], shape: [1, 2]), temperature: 1)
        expectNear(try atOne.item(), kl)
        // At T = 2 the teacher logits 2·ln 3 soften to the same distribution; T² = 4.
        let atTwo = try Distillation.kd(student: student, teacher: Tensor([2 * log(3.0), 0], shape: [1, 2]), temperature: 2)
        expectNear(try atTwo.item(), 4 * kl)
        let same = try Tensor([1.0, -2, 0.5, 3, 0, 1], shape: [2, 3])
        expectNear(try Distillation.kd(student: same, teacher: same, temperature: 4).item(), 0, tolerance: 1e-15)
    }

    @Test("KD and DKD match PyTorch (mdistiller's masked form)")
    func goldens() throws {
        let s = try goldenTensor(G.logitsStudent, G.logitsStudentShape)
        let t = try goldenTensor(G.logitsTeacher, G.logitsTeacherShape)
        let y = try Tensor(G.logitsLabels, shape: [G.logitsLabels.count])
        expectNear(try Distillation.kd(student: s, teacher: t, temperature: 4).item(), G.kdT4)
        let parts = try Distillation.dkdParts(student: s, teacher: t, labels: y, temperature: 4)
        expectNear(try parts.targetClass.item(), G.dkdTCKD)
        expectNear(try parts.nonTargetClass.item(), G.dkdNCKD)
        expectNear(try Distillation.dkd(student: s, teacher: t, labels: y, alpha: 1, beta: 8, temperature: 4).item(), G.dkdTotal)
    }

    @Test("DKD with two classes: NCKD is exactly 0 and TCKD is plain KD, no NaN even at extreme logits")
    func dkdTwoClasses() throws {
        let s = try goldenTensor(G.binaryStudent, G.binaryStudentShape).requiresGrad(true)
        let t = try goldenTensor(G.binaryTeacher, G.binaryTeacherShape)
        let y = try Tensor(G.binaryLabels, shape: [G.binaryLabels.count])
        let parts = try Distillation.dkdParts(student: s, teacher: t, labels: y, temperature: 2)
        #expect(try parts.nonTargetClass.item() == 0)
        expectNear(try parts.targetClass.item(), G.binaryTCKD)
        expectNear(try parts.targetClass.item(), G.binaryKD)
        expectNear(G.binaryNCKD, 0, tolerance: 1e-12)

        // A saturated student and teacher: softmax underflows to 0 in float32.
        let extreme = try Tensor([Float(300), -300, -250, 250], shape: [2, 2]).requiresGrad(true)
        let teacher = try Tensor([Float(-300), 300, 250, -250], shape: [2, 2])
        let loss = try Distillation.dkd(
            student: extreme, teacher: teacher, labels: Tensor([Int64(0), 1], shape: [2]),
            alpha: 1, beta: 8, temperature: 1)
        try loss.backward()
        #expect(try loss.item().isFinite)
        #expect(try extreme.grad!.toArray(of: Float.self).allSatisfy { $0.isFinite })
    }

    @Test("KD and DKD gradients match finite differences (float64)")
    func gradients() throws {
        let t = try goldenTensor(G.logitsTeacher, G.logitsTeacherShape)
        let s = try goldenTensor(G.logitsStudent, G.logitsStudentShape)
        let y = try Tensor(G.logitsLabels, shape: [G.logitsLabels.count])
        try lossGradientCheck(s) { try Distillation.kd(student: $0, teacher: t, temperature: 4) }
        try lossGradientCheck(s) { try Distillation.dkd(student: $0, teacher: t, labels: y, alpha: 1, beta: 8, temperature: 4) }
        let t2 = try goldenTensor(G.binaryTeacher, G.binaryTeacherShape)
        let y2 = try Tensor(G.binaryLabels, shape: [G.binaryLabels.count])
        try lossGradientCheck(try goldenTensor(G.binaryStudent, G.binaryStudentShape)) {
            try Distillation.dkd(student: $0, teacher: t2, labels: y2, alpha: 1, beta: 8, temperature: 2)
        }
    }

    @Test("no gradient reaches the teacher logits")
    func teacherDetached() throws {
        let s = try goldenTensor(G.logitsStudent, G.logitsStudentShape).requiresGrad(true)
        let t = try goldenTensor(G.logitsTeacher, G.logitsTeacherShape).requiresGrad(true)
        let y = try Tensor(G.logitsLabels, shape: [4])
        try
            (Distillation.kd(student: s, teacher: t, temperature: 4)
            + Distillation.dkd(student: s, teacher: t, labels: y, alpha: 1, beta: 8, temperature: 4)).backward()
        #expect(s.grad != nil)
        #expect(t.grad == nil)
    }

    @Test("DKD warm-up rises linearly over the first epochs (epochs from 0)")
    func warmup() {
        #expect(Distillation.dkdWarmupFactor(epoch: 0, warmupEpochs: 20) == 1.0 / 20)
        #expect(Distillation.dkdWarmupFactor(epoch: 9, warmupEpochs: 20) == 0.5)
        #expect(Distillation.dkdWarmupFactor(epoch: 19, warmupEpochs: 20) == 1)
        #expect(Distillation.dkdWarmupFactor(epoch: 50, warmupEpochs: 20) == 1)
        #expect(Distillation.dkdWarmupFactor(epoch: 0, warmupEpochs: 0) == 1)
    }

    @Test("bad inputs name the loss and the shapes")
    func errors() throws {
        let a = try Tensor.zeros([2, 3]), b = try Tensor.zeros([2, 4])
        #expect(throws: TorchError.invalidArgument(operation: "Distillation.kd", message: "logits differ in shape: student [2, 3], teacher [2, 4]")) {
            try Distillation.kd(student: a, teacher: b, temperature: 4)
        }
        #expect(throws: TorchError.invalidArgument(operation: "Distillation.kd", message: "temperature must be positive and finite, got 0.0")) {
            try Distillation.kd(student: a, teacher: a, temperature: 0)
        }
        let one = try Tensor.zeros([2, 1])
        #expect(throws: TorchError.invalidArgument(operation: "Distillation.dkd", message: "needs at least two classes, got 1")) {
            try Distillation.dkd(student: one, teacher: one, labels: Tensor([Int64(0), 0], shape: [2]), alpha: 1, beta: 8, temperature: 4)
        }
        #expect(throws: TorchError.invalidArgument(operation: "Distillation.dkd", message: "label 3 is outside 0..<3")) {
            try Distillation.dkd(student: a, teacher: a, labels: Tensor([Int64(0), 3], shape: [2]), alpha: 1, beta: 8, temperature: 4)
        }
    }
}
