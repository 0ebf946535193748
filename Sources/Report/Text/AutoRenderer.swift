import Foundation
import RunSchema

/// `auto`'s result: a table of the trials (best validation first within the highest
/// rung) and the choice with its one test evaluation; JSON is `auto.json` as the run
/// writes it; CSV one row per trial.
package enum AutoRenderer {
    package static func render(_ record: AutoRecord, outputDirectory: String, report: String, as format: OutputFormat) -> String {
        func number(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "-" }
        let trials = ordered(record.trials)
        switch format {
        case .json:
            return ((try? RunJSON.encode(record)).map { String(decoding: $0, as: UTF8.self) } ?? "{}") + "\n"
        case .csv:
            var lines = ["trial,rung,model,method,settings,epochs,status,validation_top1,best_epoch,seconds,chosen"]
            for t in trials {
                lines.append(
                    [
                        t.id, String(t.rung), t.model, t.method, t.settings, String(t.epochs), t.status.rawValue,
                        t.validationTop1.map { number($0) } ?? "", t.bestEpoch.map(String.init) ?? "",
                        t.seconds.map { String(format: "%.2f", $0) } ?? "", t.id == record.choice?.trial ? "yes" : "",
                    ].map(csvField).joined(separator: ","))
            }
            return lines.joined(separator: "\n") + "\n"
        case .table:
            var table = TextTable(
                headers: ["trial", "model", "method", "settings", "epochs", "val top-1", "seconds", ""],
                alignments: [.left, .left, .left, .left, .right, .right, .right, .left])
            for t in trials {
                table.append([
                    t.id, t.model, t.method, t.settings, String(t.epochs),
                    t.status == .failed ? "failed" : number(t.validationTop1),
                    t.seconds.map { String(format: "%.1f", $0) } ?? "-", t.id == record.choice?.trial ? "<- chosen" : "",
                ])
            }
            var text = table.rendered()
            for note in record.notes { text += "note: \(note)\n" }
            if let choice = record.choice {
                text += "chosen: \(choice.model) with \(choice.method) (\(choice.settings), \(choice.epochs) epochs): \(choice.reason)\n"
                if let test = choice.test {
                    text += "test accuracy (\(test.evaluation)): top-1 \(number(test.top1)) on \(test.samples) samples\n"
                } else {
                    text += "test accuracy: not evaluated (the dataset has no test split)\n"
                }
                if let model = choice.exportedModel { text += "tuned model (hub entry): \(model)\n" }
            } else {
                text += "no trial finished: nothing was chosen\n"
            }
            text += "\(record.trials.count) trial(s) in \(String(format: "%.1f", record.seconds)) s; output: \(outputDirectory)\nreport: \(report)\n"
            return text
        }
    }

    /// Highest rung first, then best validation, failures last, then by id.
    package static func ordered(_ trials: [AutoTrial]) -> [AutoTrial] {
        trials.sorted { a, b in
            if a.rung != b.rung { return a.rung > b.rung }
            let x = a.validationTop1 ?? -.infinity, y = b.validationTop1 ?? -.infinity
            if x != y { return x > y }
            return a.id < b.id
        }
    }

    static func csvField(_ text: String) -> String {
        text.contains(",") || text.contains("\"") ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
