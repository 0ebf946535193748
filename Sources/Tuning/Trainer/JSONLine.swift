import FeatureIO
import Foundation
import Support

/// A JSON value whose objects keep their keys in the order written, for log lines
/// and result files that people read (`{"event":"step","epoch":1,...}`).
public indirect enum JSONLine: Equatable {
    case number(Double)
    case integer(Int)
    case string(String)
    case bool(Bool)
    case null
    case array([JSONLine])
    case object([(String, JSONLine)])

    public static func == (a: JSONLine, b: JSONLine) -> Bool { a.rendered() == b.rendered() }

    /// Compact JSON (one line). Doubles use Swift's shortest round-trip form, so a
    /// value read back is the value written; non-finite numbers become null.
    public func rendered() -> String {
        switch self {
        case .number(let x):
            guard x.isFinite else { return "null" }
            return x == x.rounded() && Swift.abs(x) < 1e15 ? String(format: "%.1f", x) : "\(x)"
        case .integer(let i): return String(i)
        case .string(let s): return jsonString(s)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array(let items): return "[" + items.map { $0.rendered() }.joined(separator: ",") + "]"
        case .object(let pairs): return "{" + pairs.map { jsonString($0.0) + ":" + $0.1.rendered() }.joined(separator: ",") + "}"
        }
    }

    /// Metrics as the log and result files write them: top1, then top5 and
    /// mean_class when present (and loss when asked).
    static func metrics(_ m: ClassificationMetrics, loss: Bool) -> JSONLine {
        var pairs: [(String, JSONLine)] = []
        if loss, let l = m.loss { pairs.append(("loss", .number(l))) }
        pairs.append(("top1", .number(m.top1)))
        if let t5 = m.top5 { pairs.append(("top5", .number(t5))) }
        if let mc = m.meanClass { pairs.append(("mean_class", .number(mc))) }
        return .object(pairs)
    }
}
