import ArgumentParser
import Foundation
import Report

/// The options of `auto`, parsed the same way by both executables (`hubminer`
/// forwards the command to `hubminer-torch`, which runs it).
public struct AutoOptions: CommandOptions {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "auto",
        abstract: "From a hub and a dataset to the best tuned model: rank, tune the top models with several methods, choose on validation.",
        discussion: """
            Ranks the hub by LogME (features through the extraction cache), takes the --top models, and tunes each with \
            every method of --methods (default: finetune, btuning with the top teachers by LogME, and multikd when the hub \
            has at least two other models that give the target's classes; kd when it has one), over a small seeded search \
            of the settings that matter (learning rate; B-Tuning's lambda and temperature; KD's temperature and weight). \
            Trials are run by successive halving on validation accuracy within --budget. The winner is chosen on \
            validation (the dataset's validation split, or a seeded, stratified part held out of its training data); \
            the test split is read once, for the winner only. Writes OUT/ranking.json, OUT/trials/<trial>/ (each a tune \
            run), OUT/trials.json (the trial ledger), OUT/auto.json, OUT/report.html, and exports the winner as a hub \
            entry (OUT/trials/<winner>/model/). Interrupted (Ctrl-C or killed), the same command resumes without \
            repeating finished trials.
            """
    )

    @Option(help: "The hub directory.")
    public var hub: String

    @Option(help: "The target dataset.")
    public var data: String

    @Option(help: "Time budget for the search: seconds, or a duration such as 90s, 5m, 1h30m (default: no limit).")
    public var budget: String?

    @Option(help: "Tuning methods to try, comma-separated (default: finetune,btuning,multikd; any method of tune).")
    public var methods: String?

    @Option(help: "How many of the best models by LogME to tune.")
    public var top: Int = 2

    @Option(help: "Settings tried per model and method (the defaults first, then a seeded sample).")
    public var configs: Int = 3

    @Option(help: "Teachers B-Tuning takes from the top of the LogME ranking.")
    public var teachers: Int = 3

    @Option(help: "Epochs of the last rung (the longest training); earlier rungs train a third as long each.")
    public var epochs: Int = 20

    @Option(name: .customLong("min-epochs"), help: "The shortest rung trains at least this many epochs.")
    public var minEpochs: Int = 2

    @Option(help: "Successive halving keeps 1/eta of the trials at each rung.")
    public var eta: Int = 3

    @Option(name: .customLong("batch-size"), help: "Batch size of every trial.")
    public var batchSize: Int = 32

    @Option(help: "The base learning rate (the search tries it, a third of it and three times it).")
    public var lr: Double = 0.01

    @Option(
        name: .customLong("validation-fraction"), help: "Part of the training data held out for validation when the dataset has no validation split.")
    public var validationFraction: Double = 0.2

    @Option(help: "Random seed (settings sample, data order, held-out split).")
    public var seed: Int = 0

    @Option(help: "Output directory.")
    public var out: String = "auto-output"

    @Option(name: .customLong("cache-dir"), help: "Feature cache (default: $HUBMINER_CACHE_DIR or the user cache).")
    public var cacheDir: String?

    @Option(help: "Threads for extraction and ranking (default: all cores).")
    public var threads: Int?

    @OptionGroup public var output: OutputOptions

    @OptionGroup public var deviceOptions: DeviceOptions

    /// The paths `auto` reads: --output and --out may not be them, nor inside them.
    public var inputs: CommandInputs { CommandInputs([("--hub", hub), ("--data", data)]) }

    /// --methods split, or nil for the default set.
    public var methodList: [String]? {
        methods.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }

    /// --budget in seconds.
    public var budgetSeconds: Double? {
        get throws { try budget.map { try Self.seconds($0) } }
    }

    public func validate() throws {
        if top < 1 { throw ValidationError("--top expects at least 1 model, got \(top)") }
        if configs < 1 { throw ValidationError("--configs expects at least 1 setting, got \(configs)") }
        if teachers < 1 { throw ValidationError("--teachers expects at least 1, got \(teachers)") }
        if minEpochs < 1 || epochs < minEpochs {
            throw ValidationError("--epochs (\(epochs)) and --min-epochs (\(minEpochs)) expect 1 <= min-epochs <= epochs")
        }
        if eta < 2 { throw ValidationError("--eta expects at least 2, got \(eta)") }
        if batchSize < 1 { throw ValidationError("--batch-size expects at least 1, got \(batchSize)") }
        if !(lr > 0) || !lr.isFinite { throw ValidationError("--lr expects a positive number, got \(lr)") }
        if !(validationFraction > 0 && validationFraction < 1) {
            throw ValidationError("--validation-fraction expects a number between 0 and 1, got \(validationFraction)")
        }
        if let threads, threads < 1 { throw ValidationError("--threads expects at least 1, got \(threads)") }
        if let list = methodList, list.isEmpty { throw ValidationError("--methods expects method names, comma-separated") }
        _ = try budgetSeconds
    }

    /// "90", "90s", "5m", "1h30m", "2h": seconds. Anything else (a negative or zero
    /// length, an unknown unit) is a one-line error naming --budget.
    public static func seconds(_ text: String) throws -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        func bad() -> ValidationError {
            ValidationError("--budget expects a positive duration such as 300, 90s, 5m or 1h30m, got '\(text)'")
        }
        if let plain = Double(trimmed) {
            guard plain > 0, plain.isFinite else { throw bad() }
            return plain
        }
        var total = 0.0
        var digits = ""
        var sawUnit = false
        for ch in trimmed {
            if ch.isNumber || ch == "." {
                digits.append(ch)
            } else {
                let unit: Double
                switch ch {
                case "s": unit = 1
                case "m": unit = 60
                case "h": unit = 3600
                case "d": unit = 86400
                default: throw bad()
                }
                guard let value = Double(digits) else { throw bad() }
                total += value * unit
                digits = ""
                sawUnit = true
            }
        }
        guard sawUnit, digits.isEmpty, total > 0, total.isFinite else { throw bad() }
        return total
    }
}
