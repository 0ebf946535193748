import Foundation
import Hub
import Testing
@testable import Tuning

@Suite("Tuning refuses inference-only models")
struct PackageRefusalTests {
    @Test("an AOTInductor package is refused naming the formats tune can train")
    func aotInductorPackageIsRefused() throws {
        let card = try HubManifest.decodeCard(
            Data(#"{"name": "cnn", "file": "cnn.pt2", "representation": {"output": 0}}"#.utf8), cardName: "hub/cnn.json")
        let entry = HubEntry(card: card, cardName: "hub/cnn.json", modelFile: URL(fileURLWithPath: "/nonexistent/cnn.pt2"))
        let error = #expect(throws: TuningError.self) { try HubModel(entry: entry) }
        let text = error?.description ?? ""
        #expect(text.contains("cnn.pt2") && text.contains("inference-only") && text.contains("TorchScript"))
    }
}
