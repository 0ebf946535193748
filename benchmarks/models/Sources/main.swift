import FeatureIO
import Foundation
import Hub
import Models
import Torch

// The Swift side of the all-MiniLM-L6-v2 cross-check (benchmarks/models/run.sh):
// loads the checkpoint folder natively, embeds the reference's token ids in the same
// batches, compares with sentence-transformers' embeddings and times best of 3 passes.
//
// Then end to end, texts in: the sentences (minilm_sentences.json beside the reference)
// through HubMiner's own tokenizer and extraction path (`FeatureExtractor.extract(texts:batchSize:)`, length-bucketed,
// as `rank --hub` runs it) against sentence-transformers' encode(), both timed with
// tokenisation included.
//
//   ModelsBenchmark CHECKPOINT_FOLDER REFERENCE.safetensors THREADS BATCH

/// The process's CPU time (every thread), in seconds: on a shared, loaded machine
/// it moves far less than wall time, which waits for the other processes.
func cpuSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// Peak resident memory of this process, MiB.
func peakMiB() -> Double {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// The 1-minute load average (the machine may be shared).
func loadAverage() -> String {
    ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").first.map(String.init) ?? "?"
}

let arguments = CommandLine.arguments
guard arguments.count == 5, let threads = Int(arguments[3]), let batch = Int(arguments[4]) else {
    FileHandle.standardError.write(Data("usage: ModelsBenchmark CHECKPOINT_FOLDER REFERENCE.safetensors THREADS BATCH\n".utf8))
    exit(2)
}
do {
    TorchRuntime.threadCount = threads
    let folder = URL(fileURLWithPath: arguments[1])
    let reference = URL(fileURLWithPath: arguments[2])
    let loadStart = Date()
    let model = try Checkpoint.load(folder)
    let loadSeconds = Date().timeIntervalSince(loadStart)
    let ids = try FeatureFile.readArray(at: reference, key: "input_ids")
    let mask = try FeatureFile.readArray(at: reference, key: "attention_mask")
    let expected = try FeatureFile.readArray(at: reference, key: "embeddings")
    let pythonSeconds = try FeatureFile.readArray(at: reference, key: "python_seconds").values[0]
    let rows = ids.shape[0], length = ids.shape[1]
    let idTensor = try Tensor(ids.values.map { Int64($0) }, shape: ids.shape)
    let maskTensor = try Tensor(mask.values.map { Int64($0) }, shape: mask.shape)

    func pass() throws -> [Float] {
        var out = [Float]()
        try withNoGrad {
            for start in stride(from: 0, to: rows, by: batch) {
                let count = min(batch, rows - start)
                let i = try idTensor.narrow(dim: 0, start: start, length: count)
                let m = try maskTensor.narrow(dim: 0, start: start, length: count)
                out += try model.module.run(method: "forward", [.tensor(i), .tensor(m)]).tensor().toArray(of: Float.self)
            }
        }
        return out
    }
    let embeddings = try pass()
    var worst = 0.0
    let width = expected.shape[1]
    for r in 0..<rows {
        let a = embeddings[(r * width)..<((r + 1) * width)].map(Double.init)
        let e = Array(expected.values[(r * width)..<((r + 1) * width)])
        let scale = e.map(abs).max() ?? 1
        worst = max(worst, zip(a, e).map { abs($0 - $1) }.max()! / scale)
    }
    let loadBefore = loadAverage()
    var times = [Double]()
    var cpuTimes = [Double]()
    for _ in 0..<3 {
        let t0 = Date()
        let c0 = cpuSeconds()
        _ = try pass()
        times.append(Date().timeIntervalSince(t0))
        cpuTimes.append(cpuSeconds() - c0)
    }
    let swiftSeconds = times.min()!
    let pythonCPU = try FeatureFile.readArray(at: reference, key: "python_cpu_seconds").values[0]
    print("sentences: \(rows), padded length \(length), batch \(batch), threads \(threads)")
    print("checkpoint load: \(String(format: "%.2f", loadSeconds)) s")
    print("max relative difference per embedding (max-norm): \(String(format: "%.2e", worst)) (tolerance 1e-4)")
    print(
        "embedding time, best of 3: HubMiner \(String(format: "%.3f", swiftSeconds)) s, sentence-transformers \(String(format: "%.3f", pythonSeconds)) s, ratio \(String(format: "%.2f", swiftSeconds / pythonSeconds))"
    )
    print(
        "embedding CPU time, best of 3: HubMiner \(String(format: "%.3f", cpuTimes.min()!)) s, sentence-transformers \(String(format: "%.3f", pythonCPU)) s, ratio \(String(format: "%.2f", cpuTimes.min()! / pythonCPU))"
    )

    // texts in, embeddings out: HubMiner's tokenizer + extraction vs encode()
    let sentencesURL = reference.deletingLastPathComponent().appendingPathComponent("minilm_sentences.json")
    let sentences = try JSONDecoder().decode([String].self, from: Data(contentsOf: sentencesURL))
    let encoded = try FeatureFile.readArray(at: reference, key: "encoded")
    let encodeSeconds = try FeatureFile.readArray(at: reference, key: "encode_seconds").values[0]
    let card = try CheckpointEntries.derivedCard(name: "all-MiniLM-L6-v2", file: folder.lastPathComponent, folder: folder)
    let extractor = try FeatureExtractor(entry: HubEntry(card: card, cardName: "derived", modelFile: folder))
    func textPass() throws -> [Float] {
        var out = [Float]()
        // as extraction runs texts: a window of batches at a time, length-bucketed
        let window = batch * FeatureExtractor.textBucketWindow
        for start in stride(from: 0, to: sentences.count, by: window) {
            let texts = sentences[start..<min(start + window, sentences.count)].map { [$0] }
            out += try extractor.extract(texts: texts, batchSize: batch).features
        }
        return out
    }
    let textEmbeddings = try textPass()
    var textWorst = 0.0
    for r in 0..<sentences.count {
        let a = textEmbeddings[(r * width)..<((r + 1) * width)].map(Double.init)
        let e = Array(encoded.values[(r * width)..<((r + 1) * width)])
        let scale = e.map(abs).max() ?? 1
        textWorst = max(textWorst, zip(a, e).map { abs($0 - $1) }.max()! / scale)
    }
    var textTimes = [Double]()
    var textCPUTimes = [Double]()
    for _ in 0..<3 {
        let t0 = Date()
        let c0 = cpuSeconds()
        _ = try textPass()
        textTimes.append(Date().timeIntervalSince(t0))
        textCPUTimes.append(cpuSeconds() - c0)
    }
    let textSeconds = textTimes.min()!
    let encodeCPU = try FeatureFile.readArray(at: reference, key: "encode_cpu_seconds").values[0]
    let pythonPeak = try FeatureFile.readArray(at: reference, key: "peak_rss_mib").values[0]
    print("texts in (HubMiner's tokenizer vs encode()): max relative difference \(String(format: "%.2e", textWorst)) (tolerance 1e-4)")
    print(
        "end-to-end time (tokenise + embed), best of 3: HubMiner \(String(format: "%.3f", textSeconds)) s, sentence-transformers encode() \(String(format: "%.3f", encodeSeconds)) s, ratio \(String(format: "%.2f", textSeconds / encodeSeconds))"
    )
    print(
        "end-to-end CPU time, best of 3: HubMiner \(String(format: "%.3f", textCPUTimes.min()!)) s, encode() \(String(format: "%.3f", encodeCPU)) s, ratio \(String(format: "%.2f", textCPUTimes.min()! / encodeCPU))"
    )
    print(
        "peak resident memory: HubMiner \(String(format: "%.0f", peakMiB())) MiB, Python process \(String(format: "%.0f", pythonPeak)) MiB; 1-minute load average \(loadBefore) before the timed passes, \(loadAverage()) after (\(ProcessInfo.processInfo.activeProcessorCount) cores)"
    )
    exit(worst < 1e-4 && textWorst < 1e-4 ? 0 : 1)
} catch {
    FileHandle.standardError.write(Data("ModelsBenchmark: \(error)\n".utf8))
    exit(1)
}
