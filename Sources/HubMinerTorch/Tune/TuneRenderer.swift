import Foundation
import Report
import Tuning

/// `tune`'s result as a table (best and last epochs), JSON (result.json) or CSV.
package enum TuneRenderer {
    package static func render(_ result: TuneResult, as format: OutputFormat) -> String {
        func number(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "-" }
        let rows = [("best", result.best), ("last", result.last)]
        switch format {
        case .json:
            return result.json().rendered() + "\n"
        case .csv:
            var lines = ["row,method,model,epoch,top1,top5,mean_class,seconds"]
            for (label, r) in rows {
                lines.append(
                    [
                        label, result.method, result.model, String(r.epoch), number(r.top1), r.top5.map { number($0) } ?? "",
                        r.meanClass.map { number($0) } ?? "", String(format: "%.2f", result.seconds),
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
                    number(r.meanClass), String(format: "%.1f", result.seconds),
                ])
            }
            var text = table.rendered()
            text += "output: \(result.outputDirectory.path)\n"
            if let model = result.exportedModel { text += "tuned model (hub entry): \(model.path)\n" }
            return text
        }
    }
}
