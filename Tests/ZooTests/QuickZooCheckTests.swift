import Foundation
import HubMiner
import Testing
import Torch
@testable import Zoo
import Support

/// Builds the real quick zoo (about half a minute on 2 cores, so only when
/// HUBMINER_ZOO_BUILD_CHECK=1) and checks that transferability really varies:
/// linear-probe accuracies on the target spread by more than 0.1 and the best model
/// is well above chance and above the raw-pixel probe.
@Suite struct QuickZooCheck {
    static var enabled: Bool { ProcessInfo.processInfo.environment["HUBMINER_ZOO_BUILD_CHECK"] == "1" }

    @Test(.enabled(if: QuickZooCheck.enabled)) func quickZooSpreadsOnTheTarget() throws {
        let size = ZooSize(rawValue: ProcessInfo.processInfo.environment["HUBMINER_ZOO_SIZE"] ?? "quick") ?? .quick
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        let built = try ZooBuilder.build(size: size, seed: 0, directory: dir, progress: ProgressReporter(style: .lines))
        for m in built.manifest.models {
            print(
                String(
                    format: "%-22@ %-9@ params %7d  source %.3f  probe %.3f  %.1f s", m.name, m.family, m.parameters,
                    m.result.sourceAccuracy, m.targetProbeAccuracy, m.result.seconds))
        }
        print(String(format: "build %.1f s, spread %.3f", built.seconds, built.manifest.probeSpread))
        let chance = 1 / Double(built.manifest.target.classes)
        #expect(built.manifest.probeSpread > 0.1)
        #expect((built.manifest.models.map(\.targetProbeAccuracy).max() ?? 0) > chance + 0.15)
        #expect((built.manifest.models.map(\.targetProbeAccuracy).max() ?? 0) > built.manifest.targetPixelProbeAccuracy + 0.1)
    }
}
