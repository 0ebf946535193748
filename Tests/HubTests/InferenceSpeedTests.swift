import Data
import FeatureIO
import Foundation
import HubMiner
import HubMinerTorch
import Ranking
import Linalg
import Support
import Testing
import Torch
@testable import Hub

/// Inference mode, frozen and optimised modules, the memory-format and batch-size
/// probe and reduced precision: each gives the features of the module as loaded
/// (to float32 rounding, or to the reduced type's), and says what it did.
@Suite("Extraction: inference speed")
struct InferenceSpeedTests {
    /// scripts/fixtures/make_torch_fixtures.py's TinyResNet (conv + batch norm
    /// blocks, an `embed` method, submodules stem, layer4, fc), saved by PyTorch.
    static let tinyResNet = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("TorchTests/Fixtures/tiny_resnet.pt")

    func hub(_ cards: [String: String]) throws -> URL {
        let hub = try makeTempDir()
        try FileManager.default.copyItem(at: Self.tinyResNet, to: hub.appendingPathComponent("r.pt"))
        for (name, json) in cards { try writeCard(json, to: hub.appendingPathComponent("\(name).json")) }
        return hub
    }

    func entry(_ json: String, in hub: URL) throws -> HubEntry {
        let card = try HubManifest.decodeCard(Data(json.utf8), cardName: "hub/r.json")
        return HubEntry(card: card, cardName: "hub/r.json", modelFile: hub.appendingPathComponent("r.pt"))
    }

    /// n samples of 3 x 8 x 8, values in [-1, 1].
    func batch(_ n: Int) -> [Float] { (0..<(n * 192)).map { Float(sin(Double($0) * 0.37)) } }

    func maxRelative(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count)
        let scale = b.map { abs(Double($0)) }.max() ?? 0
        let diff = zip(a, b).map { abs(Double($0) - Double($1)) }.max() ?? 0
        return scale > 0 ? diff / scale : diff
    }

    static let embedCard =
        #"{"name": "r", "file": "r.pt", "input": {"height": 8, "width": 8, "resize": "none"}, "representation": {"method": "embed"}, "source_head": {"submodule": "fc"}}"#
    static let submoduleCard =
        #"{"name": "r", "file": "r.pt", "input": {"height": 8, "width": 8, "resize": "none"}, "representation": {"submodule": "layer4", "after": {"submodule": "stem"}, "pooling": "avg"}, "source_head": {"method": "forward"}}"#

    @Test("inference mode: the same outputs as no-grad, and nothing recorded even with autograd on")
    func inferenceMode() throws {
        let model = try ScriptModule(contentsOf: Self.tinyResNet.path)
        #expect(try model.parameters().allSatisfy(\.requiresGrad))
        let x = try Tensor(batch(3), shape: [3, 3, 8, 8])
        #expect(Autograd.isEnabled)
        // the control: with autograd on, an ordinary call records the graph
        let recorded = try model.run(method: "embed", [.tensor(x)]).tensor()
        #expect(recorded.requiresGrad && recorded.hasGradFunction && !recorded.isInference)
        let plain = try withNoGrad { try model.run(method: "embed", [.tensor(x)]).tensor() }
        let inference = try model.run(method: "embed", [.tensor(x)], inferenceMode: true).tensor()
        #expect(inference.isInference && !inference.requiresGrad && !inference.hasGradFunction)
        #expect(try inference.toArray(of: Float.self) == plain.toArray(of: Float.self))
        // the guard ended with the call: the next ordinary call records again
        #expect(Autograd.isEnabled)
        #expect(try model.run(method: "embed", [.tensor(x)]).tensor().hasGradFunction)
        // functional operations outside the call read inference tensors
        #expect(try inference.softmax(dim: 1).shape == [3, 4])
        // the extractor runs its stages in inference mode
        let hub = try hub([:])
        defer { cleanup(hub) }
        let extractor = try FeatureExtractor(entry: try entry(Self.embedCard, in: hub))
        let out = try extractor.extract(values: batch(3), shape: [3, 3, 8, 8])
        #expect(out.features == (try plain.toArray(of: Float.self)))
    }

    @Test("frozen and optimised copies keep the card's method, submodule, after and source head, and agree to 1e-4")
    func optimised() throws {
        let hub = try hub([:])
        defer { cleanup(hub) }
        for card in [Self.embedCard, Self.submoduleCard] {
            let plain = try FeatureExtractor(entry: try entry(card, in: hub))
            let fast = try FeatureExtractor(entry: try entry(card, in: hub), optimize: true)
            #expect(fast.optimization == "frozen and optimised for inference", "\(card)")
            #expect(try fast.stages.isOptimized)
            let values = batch(6)
            let a = try plain.extract(values: values, shape: [6, 3, 8, 8])
            let b = try fast.extract(values: values, shape: [6, 3, 8, 8])
            #expect(a.dimension == 4 && b.dimension == 4 && b.sourceClasses == 3)
            #expect(maxRelative(b.features, a.features) <= 1e-4)
            #expect(maxRelative(b.probabilities ?? [], a.probabilities ?? []) <= 1e-4)
            // the frozen copy inlined its parameters: the module itself still has them
            #expect(fast.parameterCount == plain.parameterCount && plain.parameterCount > 0)
        }
        // against PyTorch's own outputs for the fixture's input (make_torch_fixtures.py)
        let golden =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: Self.tinyResNet.deletingPathExtension().appendingPathExtension("json"))) as? [String: Any]
        let x = (0..<(2 * 192)).map { Float(sin(Double($0) * 0.7)) }
        let fast = try FeatureExtractor(entry: try entry(Self.embedCard, in: hub), optimize: true)
        let expected = (golden?["embed"] as? [Double] ?? []).map(Float.init)
        #expect(maxRelative(try fast.extract(values: x, shape: [2, 3, 8, 8]).features, expected) <= 1e-4)
    }

    @Test("freezing the module keeps the methods a stage names and drops submodules")
    func frozenModule() throws {
        let model = try ScriptModule(contentsOf: Self.tinyResNet.path)
        let x = try Tensor(batch(2), shape: [2, 3, 8, 8])
        let embed = try withNoGrad { try model.run(method: "embed", [.tensor(x)]).tensor().toArray(of: Float.self) }
        let frozen = try model.frozenForInference(methods: ["embed"])
        #expect(frozen.hasMethod("embed") && frozen.hasMethod("forward"))
        #expect(frozen.submodulePaths.isEmpty)
        #expect(try frozen.parameters().isEmpty)
        let got = try frozen.run(method: "embed", [.tensor(x)], inferenceMode: true).tensor().toArray(of: Float.self)
        #expect(maxRelative(got, embed) <= 1e-4)
        #expect(!(try model.frozenForInference()).hasMethod("embed"))
        // the module itself is untouched
        #expect(model.submodulePaths.contains("layer4.1.bn"))
        #expect(try withNoGrad { try model.run(method: "embed", [.tensor(x)]).tensor().toArray(of: Float.self) } == embed)
    }

    @Test("freezing trial: both freezings checked, timed on alternating batches, one kept; features agree with the module throughout")
    func freezingTrial() throws {
        let hub = try hub([:])
        defer { cleanup(hub) }
        for card in [Self.embedCard, Self.submoduleCard] {
            let plain = try FeatureExtractor(entry: try entry(card, in: hub))
            let fast = try FeatureExtractor(entry: try entry(card, in: hub))
            fast.freezingTrialEnabled = true
            fast.optimizeForInference()
            #expect(fast.optimization.hasPrefix("frozen copies on trial"), "\(fast.optimization)")
            #expect(fast.trialInProgress)
            var batches = 0
            while fast.trialInProgress, batches < 10 {
                let x = batch(4).map { $0 * Float(batches + 1) / 4 }
                let a = try fast.extract(values: x, shape: [4, 3, 8, 8])
                let b = try plain.extract(values: x, shape: [4, 3, 8, 8])
                #expect(maxRelative(a.features, b.features) <= 1e-4)
                #expect(maxRelative(try #require(a.probabilities), try #require(b.probabilities)) <= 1e-4)
                batches += 1
            }
            #expect(batches == FreezingTrial().length)
            let report = try #require(fast.takeTrialReport())
            #expect(fast.takeTrialReport() == nil)
            #expect(report == fast.optimization)
            let kept = try #require(fast.freezing)
            #expect(report.hasPrefix(kept.summary + " (timed on 1 x 4 samples each: optimized "), "\(report)")
            #expect(try fast.stages.isOptimized)
        }
    }

    @Test("a frozen copy that does not reproduce the module is dropped, with the reason")
    func fallback() throws {
        let hub = try makeTempDir()
        defer { cleanup(hub) }
        // a representation that draws random numbers: no two runs agree
        let net = try ScriptModule(name: "Noisy")
        try net.registerParameter("w", try Tensor.full([1, 3, 1, 1], value: 2.0))
        try net.define(
            """
            def forward(self, x):
                return torch.flatten(x * self.w + torch.rand_like(x), 1)
            """)
        try net.eval()
        try net.save(to: hub.appendingPathComponent("r.pt").path)
        let card = #"{"name": "r", "file": "r.pt", "input": {"height": 8, "width": 8, "resize": "none"}}"#
        let extractor = try FeatureExtractor(entry: try entry(card, in: hub), optimize: true)
        #expect(extractor.optimization.hasPrefix("as loaded (the optimized module differs by"), "\(extractor.optimization)")
        #expect(try !extractor.stages.isOptimized)
        #expect(try extractor.extract(values: batch(2), shape: [2, 3, 8, 8]).dimension == 192)
    }

    @Test("channels-last and another batch size give the same features to float32 rounding; the probe keeps its choice")
    func layout() throws {
        let hub = try hub([:])
        defer { cleanup(hub) }
        let values = batch(40)
        let reference = try FeatureExtractor(entry: try entry(Self.embedCard, in: hub), optimize: true)
            .extract(values: values, shape: [40, 3, 8, 8])
        for optimize in [false, true] {
            let extractor = try FeatureExtractor(entry: try entry(Self.embedCard, in: hub), optimize: optimize)
            try extractor.use(.channelsLast)
            #expect(extractor.memoryFormat == .channelsLast)
            #expect(try extractor.stages.isOptimized == optimize)
            let channelsLast = try extractor.extract(values: values, shape: [40, 3, 8, 8])
            #expect(maxRelative(channelsLast.features, reference.features) <= 1e-5)
            #expect(maxRelative(channelsLast.probabilities ?? [], reference.probabilities ?? []) <= 1e-5)
            extractor.preferredBatchSize = 16
            let pieces = try extractor.extract(values: values, shape: [40, 3, 8, 8])
            #expect(pieces.rows == 40 && pieces.features.count == 160 && pieces.probabilities?.count == 120)
            #expect(maxRelative(pieces.features, reference.features) <= 1e-5)
        }
        let model = try ScriptModule(contentsOf: Self.tinyResNet.path)
        try model.to(.channelsLast)
        let conv = try #require(try model.namedParameters().first { $0.name == "stem.weight" })
        #expect(conv.tensor.isContiguous(.channelsLast) && !conv.tensor.isContiguous)
        let probed = try FeatureExtractor(entry: try entry(Self.embedCard, in: hub), optimize: true)
        let choice = try probed.chooseLayout(values: values, shape: [40, 3, 8, 8], batch: 32)
        // two formats at 32, then 8 and 16 (64 is more than the 40 samples)
        #expect(choice.timings.map(\.batchSize) == [32, 32, 8, 16])
        #expect(choice.timings.map(\.memoryFormat).prefix(2) == [.contiguous, .channelsLast])
        // the default unless something beats it by the margin, then the fastest
        let fastest = try #require(choice.timings.min { $0.secondsPerSample < $1.secondsPerSample })
        if fastest.secondsPerSample < choice.timings[0].secondsPerSample * (1 - FeatureExtractor.layoutMargin) {
            #expect(choice.memoryFormat == fastest.memoryFormat && choice.batchSize == fastest.batchSize)
        } else {
            #expect(choice.memoryFormat == .contiguous && choice.batchSize == 32)
        }
        #expect(probed.memoryFormat == choice.memoryFormat)
        #expect(probed.preferredBatchSize == (choice.batchSize == 32 ? nil : choice.batchSize))
        #expect(maxRelative(try probed.extract(values: values, shape: [40, 3, 8, 8]).features, reference.features) <= 1e-5)
        #expect(FeatureExtractor.layoutProbeCost(rows: 40, batch: 32) == 3 * 2 * 32 + 3 * (8 + 16))
        #expect(FeatureExtractor.layoutProbeCost(rows: 110, batch: 32) == 3 * 2 * 32 + 3 * (8 + 16 + 64))
    }

    @Test("bfloat16: features close to float32 but not equal, returned as float32; float16 is refused on the CPU")
    func reducedPrecision() throws {
        let hub = try hub([:])
        defer { cleanup(hub) }
        let values = batch(8)
        let exact = try FeatureExtractor(entry: try entry(Self.embedCard, in: hub), optimize: true).extract(values: values, shape: [8, 3, 8, 8])
        for optimize in [false, true] {
            let low = try FeatureExtractor(entry: try entry(Self.embedCard, in: hub), optimize: optimize, precision: .bfloat16)
            let out = try low.extract(values: values, shape: [8, 3, 8, 8])
            let difference = maxRelative(out.features, exact.features)
            #expect(difference > 1e-6 && difference < 5e-2, "\(difference)")
            #expect(out.probabilities.map { p in (0..<8).allSatisfy { r in abs(p[r * 3..<r * 3 + 3].reduce(0, +) - 1) < 1e-3 } } == true)
        }
        let error = #expect(throws: HubError.self) {
            try FeatureExtractor(entry: try entry(Self.embedCard, in: hub), precision: .float16)
        }
        #expect(error?.description == "--precision float16 needs a CUDA device (--device cuda); on the CPU use bfloat16")
    }

    @Test("the precision check: feature and LogME differences against float32, and when to warn")
    func precisionCheck() throws {
        let root = try makeTempDir()
        defer { cleanup(root) }
        let hub = try hub(["r": Self.embedCard])
        defer { cleanup(hub) }
        let data = root.appendingPathComponent("data")
        try makeNumpyDataset(data, count: 30, size: 8)
        var config = ExtractConfiguration(hub: hub, data: data, batchSize: 8, cacheDirectory: root.appendingPathComponent("cache"), threads: 2)
        let exact = try ExtractJob.run(config, progress: ProgressReporter(style: .silent))
        config.precision = .bfloat16
        let low = try ExtractJob.run(config, progress: ProgressReporter(style: .silent))
        // cached apart: the bfloat16 run extracted, it did not read the float32 entry
        #expect(!exact.models[0].fromCache && !low.models[0].fromCache)
        let a = try FeatureFile.readMatrix(at: exact.models[0].featuresURL)
        let b = try FeatureFile.readMatrix(at: low.models[0].featuresURL)
        #expect(a != b && a.rows == 30 && b.rows == 30)
        #expect(try ExtractJob.run(config, progress: ProgressReporter(style: .silent)).models[0].fromCache)

        // the check itself, on 30 samples of one chunk
        let extractor = try FeatureExtractor(entry: try entry(Self.embedCard, in: hub), optimize: true, precision: .bfloat16)
        let values = batch(30)
        let out = try extractor.extract(values: values, shape: [30, 3, 8, 8])
        var rows = ModelRows()
        rows.rows = 30
        rows.dimension = out.dimension
        rows.features = out.features
        let dataset = try DatasetLoader.open(data, split: nil)
        let pass = SharedPass(members: [], dataset: dataset, transform: nil, batchSize: 8, threads: ExtractionThreads(torch: 1, loaderWorkers: 1))
        let labels = (0..<30).map { $0 % 3 }
        let check = try #require(
            pass.checkPrecision(
                extractor, name: "r", rows: rows, chunk: (values, [30, 3, 8, 8]), labels: labels, progress: ProgressReporter(style: .silent)))
        let float32 = try FeatureExtractor(entry: try entry(Self.embedCard, in: hub), optimize: true).extract(values: values, shape: [30, 3, 8, 8])
        #expect(check.rows == 30 && abs(check.featureDifference - maxRelative(out.features, float32.features)) < 1e-9)
        let scores = try #require(check.logME)
        let targets = try TargetEncoder.encodeClasses(labels)
        let expected = try LogME().fit(features: Matrix(rows: 30, columns: 4, storage: float32.features.map(Double.init)), targets: targets).score
        #expect(abs(scores.float32 - expected) < 1e-9 && scores.reduced != scores.float32)

        func c(_ m: String, _ f: Double, _ r: Double) -> PrecisionCheck {
            PrecisionCheck(model: m, precision: .bfloat16, rows: 100, featureDifference: 1e-3, logME: (f, r))
        }
        #expect(PrecisionCheck.rankingWarning([c("a", 1.0, 1.001), c("b", 0.8, 0.799)]) == nil)
        let swapped = PrecisionCheck.rankingWarning([c("a", 1.0, 0.99), c("b", 0.995, 0.996)])
        #expect(swapped?.contains("the order on these samples changes (float32: a > b; reduced: b > a)") == true, "\(swapped ?? "")")
        #expect(PrecisionCheck.rankingWarning([c("a", 1.0, 1.02)])?.contains("a's LogME moved by 0.02") == true)
        #expect(PrecisionCheck.rankingWarning([c("a", 1.0, 1.003), c("b", 0.996, 0.9961)])?.contains("more than half the gap") == true)
        var broken = c("a", 1, 1)
        broken.featureDifference = .infinity
        broken.logME = nil
        #expect(PrecisionCheck.rankingWarning([broken])?.contains("a's bfloat16 features are not finite") == true)
    }

    @Test("--precision: float32 by default, bfloat16 accepted, float16 refused on the CPU, unknown names refused")
    func precisionOption() throws {
        let base = ["--hub", "h", "--data", "d", "--device", "cpu"]
        #expect(try ExtractionOptions.parse(base).configuration(threads: 2).precision == .float32)
        #expect(try ExtractionOptions.parse(base + ["--precision", "bfloat16"]).configuration(threads: 2).precision == .bfloat16)
        let half = try ExtractionOptions.parse(base + ["--precision", "float16"])
        let error = #expect(throws: (any Error).self) { try half.configuration(threads: 2) }
        #expect(error.map { "\($0)" }?.contains("--precision float16 needs a CUDA device (--device cuda); on the CPU use bfloat16") == true)
        #expect(throws: (any Error).self) { try ExtractionOptions.parse(base + ["--precision", "fp8"]) }
        #expect(throws: (any Error).self) { try ExtractionOptions.parse(base + ["--precision", "bfloat16", "--layers", "all"]) }
        let plain = try ExtractionOptions.parse(base + ["--plain-inference", "--layout-probe", "off"]).configuration(threads: 2)
        #expect(!plain.tuneInference && plain.layoutProbeShare == 0)
        #expect(try ExtractionOptions.parse(base).configuration(threads: 2).layoutProbeShare == SharedPass.defaultLayoutProbeShare)
    }
}

@Suite("Freezing trial: alternating batches, the faster freezing kept")
struct FreezingTrialTests {
    @Test("one unseen call per candidate, then timed calls; the smaller total wins; other row counts do not take part")
    func decision() {
        var trial = FreezingTrial()
        #expect(trial.length == 4)
        var handed = [Freezing]()
        let seconds: [Freezing: Double] = [.optimized: 3.0, .frozen: 2.0]
        while trial.decision == nil {
            guard let c = trial.candidate(rows: 32) else { break }
            handed.append(c)
            // a batch of another size (the last one) takes no part
            #expect(trial.candidate(rows: 7) == nil)
            // the unseen first calls are slow the other way round: they must not count
            trial.record(seconds: trial.calls < 2 ? (c == .frozen ? 50 : 1) : seconds[c]!)
        }
        #expect(handed == [.optimized, .frozen, .optimized, .frozen])
        #expect(trial.decision == .frozen)
        #expect(trial.candidate(rows: 32) == nil)
        #expect(trial.summary?.hasPrefix("frozen (timed on 1 x 32 samples each") == true, "\(trial.summary ?? "")")
    }

    @Test("a tie keeps the first candidate")
    func tie() {
        var trial = FreezingTrial(timedRounds: 2)
        while let _ = trial.candidate(rows: 4) { trial.record(seconds: 1) }
        #expect(trial.decision == .optimized)
    }
}
