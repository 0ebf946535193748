// Times training steps of two small models with the Torch layer. The same models
// are timed in PyTorch by bench_torch.py; run.sh runs both and prints the ratios.
//
//   TorchBenchmark [--threads N] [--rounds R] [--steps S] [--no-allocator-tuning] [--device cpu|cuda]
//                                                            JSON timings on stdout
//   TorchBenchmark --matmul                                  1024² float32 matmul time
//   TorchBenchmark --recommended-core-type                   OPENBLAS_CORETYPE for this CPU
//   TorchBenchmark --overhead                                cost of one tiny operation
import Foundation
import Linalg
import Torch

struct Options {
    var threads = ProcessInfo.processInfo.activeProcessorCount
    var rounds = 3
    var steps = 30
    var mode = "train"
    var tuneAllocator = true
    var device = Device.cpu
}

func parseOptions() -> Options {
    var options = Options()
    var args = CommandLine.arguments.dropFirst().makeIterator()
    while let arg = args.next() {
        switch arg {
        case "--threads": options.threads = Int(args.next() ?? "") ?? options.threads
        case "--rounds": options.rounds = Int(args.next() ?? "") ?? options.rounds
        case "--steps": options.steps = Int(args.next() ?? "") ?? options.steps
        case "--matmul": options.mode = "matmul"
        case "--recommended-core-type": options.mode = "core"
        case "--overhead": options.mode = "overhead"
        case "--no-allocator-tuning": options.tuneAllocator = false
        case "--device":
            // A GPU run (scripts/gpu-check.sh); cuda without one stops with what is missing.
            do { options.device = try (DeviceChoice(rawValue: args.next() ?? "") ?? .cpu).resolve() } catch {
                FileHandle.standardError.write(Data("TorchBenchmark: \(error)\n".utf8))
                exit(1)
            }
        default:
            FileHandle.standardError.write(Data("unknown argument \(arg)\n".utf8))
            exit(2)
        }
    }
    return options
}

func clock(_ id: clockid_t) -> Double {
    var ts = timespec()
    clock_gettime(id, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Median wall-clock and process CPU seconds per call of `body` over `steps`
/// calls, after `warmup` calls. CPU time (all threads) is insensitive to other
/// processes competing for the cores, which wall time on a shared machine is not.
func timeSteps(steps: Int, warmup: Int = 5, _ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
    // On a GPU, kernels run asynchronously: each step ends by reading a value the
    // optimiser wrote (bench_torch.py does the same), so the time covers the step.
    for _ in 0..<warmup { try body() }
    var wall = [Double](), cpu = [Double]()
    for _ in 0..<steps {
        let w0 = clock(CLOCK_MONOTONIC), c0 = clock(CLOCK_PROCESS_CPUTIME_ID)
        try body()
        wall.append(clock(CLOCK_MONOTONIC) - w0)
        cpu.append(clock(CLOCK_PROCESS_CPUTIME_ID) - c0)
    }
    wall.sort()
    cpu.sort()
    return (wall[wall.count / 2], cpu[cpu.count / 2])
}

/// Parameters initialised like PyTorch's nn.Linear / nn.Conv2d (uniform ±1/sqrt(fan_in)).
func parameter(_ shape: [Int], fanIn: Int, generator: Generator) throws -> Tensor {
    let bound = 1 / Double(fanIn).squareRoot()
    return try Tensor.empty(shape).uniform_(-bound, bound, generator: generator).requiresGrad(true)
}

extension Tensor {
    static func empty(_ shape: [Int]) throws -> Tensor { try Tensor.zeros(shape) }
}

/// The tensors on the benchmark's device (in place, so the optimiser sees them there).
func place(_ tensors: Tensor..., on device: Device) throws {
    if device != .cpu { for t in tensors { try t.move(to: device) } }
}

/// Waits for a GPU's queued kernels by reading one value (nothing on the CPU).
func synchronize(_ t: Tensor, on device: Device) throws {
    if device != .cpu { _ = try t.sum().item() }
}

func mlpStep(steps: Int, generator g: Generator, device: Device) throws -> (wall: Double, cpu: Double) {
    let w1 = try parameter([512, 1024], fanIn: 1024, generator: g)
    let b1 = try parameter([512], fanIn: 1024, generator: g)
    let w2 = try parameter([100, 512], fanIn: 512, generator: g)
    let b2 = try parameter([100], fanIn: 512, generator: g)
    let optimizer = try SGD([w1, b1, w2, b2], options: .init(learningRate: 0.01, momentum: 0.9))
    let x = try Tensor.randn([256, 1024], generator: g)
    let y = try Tensor.randint(0..<100, shape: [256], generator: g)
    try place(w1, b1, w2, b2, x, y, on: device)
    return try timeSteps(steps: steps) {
        try optimizer.zeroGrad()
        let hidden = try Functional.linear(x, weight: w1, bias: b1).relu()
        let loss = try Loss.crossEntropy(Functional.linear(hidden, weight: w2, bias: b2), y)
        try loss.backward()
        try optimizer.step()
        try synchronize(b2, on: device)
    }
}

func cnnStep(steps: Int, generator g: Generator, device: Device) throws -> (wall: Double, cpu: Double) {
    let c1 = try parameter([32, 3, 3, 3], fanIn: 27, generator: g)
    let c1b = try parameter([32], fanIn: 27, generator: g)
    let c2 = try parameter([64, 32, 3, 3], fanIn: 288, generator: g)
    let c2b = try parameter([64], fanIn: 288, generator: g)
    let fc = try parameter([10, 4096], fanIn: 4096, generator: g)
    let fcb = try parameter([10], fanIn: 4096, generator: g)
    let optimizer = try SGD([c1, c1b, c2, c2b, fc, fcb], options: .init(learningRate: 0.01, momentum: 0.9))
    let x = try Tensor.randn([64, 3, 32, 32], generator: g)
    let y = try Tensor.randint(0..<10, shape: [64], generator: g)
    try place(c1, c1b, c2, c2b, fc, fcb, x, y, on: device)
    return try timeSteps(steps: steps) {
        try optimizer.zeroGrad()
        var h = try Functional.conv2d(x, weight: c1, bias: c1b, padding: 1).relu()
        h = try Functional.maxPool2d(h, kernelSize: 2)
        h = try Functional.conv2d(h, weight: c2, bias: c2b, padding: 1).relu()
        h = try Functional.maxPool2d(h, kernelSize: 2).flatten(startDim: 1)
        let loss = try Loss.crossEntropy(Functional.linear(h, weight: fc, bias: fcb), y)
        try loss.backward()
        try optimizer.step()
        try synchronize(fcb, on: device)
    }
}

func matmulTime(threads: Int) throws -> Double {
    TorchRuntime.threadCount = threads
    let g = try Generator(seed: 0)
    let a = try Tensor.randn([1024, 1024], generator: g)
    let b = try Tensor.randn([1024, 1024], generator: g)
    return try timeSteps(steps: 20, warmup: 3) { _ = try a.matmul(b) }.wall
}

/// The process's peak resident memory (getrusage's ru_maxrss is in KiB on Linux).
func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

let options = parseOptions()
switch options.mode {
case "core":
    print(BLASRuntime.recommendedCoreType() ?? "")
case "overhead":
    // Per-call cost of a tiny operation: the binding's overhead over libtorch's dispatch.
    let a = try Tensor.ones([16])
    let t = try timeSteps(steps: 20) { for _ in 0..<10_000 { _ = try a + 1 } }.cpu
    print(String(format: "{\"small_add_us\": %.3f}", t / 10_000 * 1e6))
case "matmul":
    // No re-execution here: the runner decides the environment.
    let t = try matmulTime(threads: options.threads)
    print(String(format: "{\"core\": \"%@\", \"matmul_1024_ms\": %.3f}", BLASRuntime.coreName, t * 1000))
default:
    TorchRuntime.configure(threads: options.threads, tuneAllocator: options.tuneAllocator)
    let g = try Generator(seed: 0)
    var mlp = (wall: Double.infinity, cpu: Double.infinity), cnn = mlp
    // Rounds alternate the models; the best median of each is reported.
    for _ in 0..<options.rounds {
        let m = try mlpStep(steps: options.steps, generator: g, device: options.device)
        let c = try cnnStep(steps: options.steps, generator: g, device: options.device)
        mlp = (min(mlp.wall, m.wall), min(mlp.cpu, m.cpu))
        cnn = (min(cnn.wall, c.wall), min(cnn.cpu, c.cpu))
    }
    print(
        String(
            format:
                "{\"side\": \"swift\", \"device\": \"\(options.device)\", \"threads\": %d, \"blas_core\": \"%@\", \"mlp_step_ms\": %.3f, \"cnn_step_ms\": %.3f, \"mlp_cpu_ms\": %.3f, \"cnn_cpu_ms\": %.3f, \"peak_rss_mb\": %.1f}",
            TorchRuntime.threadCount, BLASRuntime.coreName, mlp.wall * 1000, cnn.wall * 1000, mlp.cpu * 1000, cnn.cpu * 1000, peakRSSMegabytes()))
}
