import Foundation
import RunSchema

/// `tune`'s result as a table (best and last epochs on validation, then the test
/// split's one evaluation of the chosen epoch), JSON (result.json, as the run writes
/// it) or CSV. The table adds where the run's files and the tuned model are.
package enum TuneRenderer {
    package static func render(_ result: TuningResult, outputDirectory: String, exportedModel: String?, as format: OutputFormat) -> String {
        func number(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "-" }
        var rows = [("best (validation)", result.best), ("last (validation)", result.last)]
        if let test = result.test {
            rows.append(("test (once, chosen epoch)", .init(epoch: test.epoch, top1: test.top1, top5: test.top5, meanClass: test.meanClass)))
        }
        switch format {
        case .json:
            // Encoding plain numbers and strings cannot fail.
            return ((try? RunJSON.encode(result)).map { String(decoding: $0, as: UTF8.self) } ?? "{}") + "\n"
        case .csv:
            var lines = ["row,method,model,epoch,top1,top5,mean_class,seconds"]
            for (label, r) in rows {
                lines.append(
                    [
                        String(label.prefix { $0 != " " }), result.method, result.model, String(r.epoch), number(r.top1),
                        r.top5.map { number($0) } ?? "",
                        r.meanClass.map { number($0) } ?? "", result.seconds.map { String(format: "%.2f", $0) } ?? "",
                    ].joined(separator: ","))
            }
            return lines.joined(separator: "\n") + "\n"
        case .table:
            var table = TextTable(
                headers: ["", "method", "model", "epoch", "top-1", "top-5", "mean-class", "seconds"],
                alignments: [.left, .left, .left, .right, .right, .right, .right, .right])
            for (label, r) in rows {
                table.append([
                    label, result.method, result.model, String(r.epoch), number(r.top1), number(r.top5),
                    number(r.meanClass), result.seconds.map { String(format: "%.1f", $0) } ?? "-",
                ])
            }
            var text = table.rendered()
            if let test = result.test {
                text += "test accuracy (\(test.evaluation)): top-1 \(number(test.top1)) on \(test.samples) samples\n"
            } else {
                text += "test accuracy: not evaluated (the dataset has no test split)\n"
            }
            text += "output: \(outputDirectory)\n"
            if let model = exportedModel { text += "tuned model (hub entry): \(model)\n" }
            return text
        }
    }
}
