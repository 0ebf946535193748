import Torch

/// Argument checks shared by the loss functions: a wrong shape or value is a
/// `TorchError` naming the loss and what it expected, never a libtorch broadcast
/// that silently computes something else.
enum LossChecks {
    static func rank(_ t: Tensor, _ expected: Int, _ what: String, _ operation: String) throws {
        guard t.rank == expected else {
            throw TorchError.invalidArgument(
                operation: operation,
                message: "\(what) must have rank \(expected), got shape \(t.shape)")
        }
    }

    static func sameShape(_ a: Tensor, _ b: Tensor, _ what: String, _ operation: String) throws {
        guard a.shape == b.shape else {
            throw TorchError.invalidArgument(
                operation: operation,
                message: "\(what) differ in shape: student \(a.shape), teacher \(b.shape)")
        }
    }

    static func sameBatch(_ a: Tensor, _ b: Tensor, _ operation: String) throws {
        guard a.rank >= 1, b.rank >= 1, a.shape[0] == b.shape[0] else {
            throw TorchError.invalidArgument(
                operation: operation,
                message: "student and teacher batches differ: \(a.shape) vs \(b.shape)")
        }
    }

    static func positive(_ value: Double, _ name: String, _ operation: String) throws {
        guard value > 0, value.isFinite else {
            throw TorchError.invalidArgument(operation: operation, message: "\(name) must be positive and finite, got \(value)")
        }
    }

    /// Class ids of a [B] int64 label tensor, each checked to be in 0..<classes.
    static func labels(_ labels: Tensor, batch: Int, classes: Int, _ operation: String) throws -> [Int] {
        guard labels.shape == [batch], labels.dtype == .int64 else {
            throw TorchError.invalidArgument(
                operation: operation,
                message: "labels must be int64 of shape [\(batch)], got \(labels.dtype) \(labels.shape)")
        }
        let ids = try labels.toArray(of: Int64.self).map(Int.init)
        if let bad = ids.first(where: { !(0..<classes).contains($0) }) {
            throw TorchError.invalidArgument(operation: operation, message: "label \(bad) is outside 0..<\(classes)")
        }
        return ids
    }
}

extension Tensor {
    /// `torch.nn.functional.normalize`: x / max(‖x‖₂, eps) along `dim`. The clamp
    /// keeps zero vectors at zero (with a zero gradient) instead of dividing by zero.
    func l2Normalized(dim: Int, eps: Double = 1e-12) throws -> Tensor {
        try self / self.norm(dims: [dim], keepDim: true).clamp(min: eps)
    }
}
