import Foundation
import Zoo

/// The table `zoo build` prints: one row per model, then where things are.
package enum ZooSummaryRenderer {
    package static func render(_ built: BuiltZoo) -> String {
        let m = built.manifest
        var lines = ["model\tfamily\tsource_task\tparameters\tsource_accuracy\ttarget_probe_accuracy\ttrain_seconds"]
        for model in m.models {
            lines.append(
                "\(model.name)\t\(model.family)\t\(model.sourceTask)\t\(model.parameters)\t"
                    + String(format: "%.3f\t%.3f\t%.1f", model.result.sourceAccuracy, model.targetProbeAccuracy, model.result.seconds))
        }
        lines.append("")
        lines.append("hub: \(built.hub.path)")
        lines.append(
            "target: \(built.target.path) (\(m.target.classes) classes, \(m.target.trainImages) training and \(m.target.testImages) test images)")
        lines.append(
            String(
                format: "%@ zoo, seed %llu: %@; target linear-probe spread %.3f (raw pixels %.3f)", m.size, m.seed,
                built.reused ? "reused (already built)" : String(format: "built in %.1f s", built.seconds), m.probeSpread,
                m.targetPixelProbeAccuracy))
        return lines.joined(separator: "\n") + "\n"
    }
}
