import Data
import Distributed
import Foundation
import RunSchema
import Torch
import Support

/// Serialises use of libtorch's process-wide generator by trainers (and method
/// set-up) so each run's random numbers depend on its seed alone.
package enum GlobalGenerator {
    package static let lock = NSLock()
}

/// What a finished training run reports.
package struct TrainingOutcome: Sendable, Equatable {
    /// Highest validation top-1 (the earlier epoch on ties).
    package var best: EpochRecord
    package var last: EpochRecord
    /// Epochs evaluated (the last may be partial when stopping by iterations).
    package var epochs: Int
    package var iterations: Int
    package var seconds: Double
}

/// The one training loop every method plugs into. The loss is a named, weighted
/// sum of terms: the trainer's cross-entropy on a new linear head first, then
/// the method's terms; each term's unweighted value is logged under its name.
///
/// Parameter groups: the student's parameters at `backbone_lr_multiplier` x lr
/// (0 freezes them: eval mode, no gradient), the head and every term's trainable
/// tensors at lr. SGD (momentum, Nesterov, L2 decay) or AdamW, a schedule stepped
/// every iteration, evaluation on the validation split after every epoch, a
/// checkpoint after every epoch (and every `checkpoint_every` iterations) that a
/// resumed run continues from exactly. See docs/TUNING.md.
package final class Trainer {
    package let config: TuneConfiguration
    package let student: HubModel
    package let head: LinearHead
    /// Cross-entropy first, then the method's terms.
    package let terms: [any LossTerm]
    package let classCount: Int
    package let output: URL
    /// Polled after every step; true stops training after a checkpoint.
    package var shouldStop: () -> Bool = { false }
    /// The configuration and data this run trains on: stored in every checkpoint and
    /// compared on resume (nil: not recorded, not checked).
    package var fingerprint: RunFingerprint?

    let trainLoader: DataLoader
    let validationLoader: DataLoader
    let optimizer: any Optimizer
    let scheduler: LearningRateScheduler
    let store: CheckpointStore
    let progress: any TrainingProgress
    let needs: OutputNeeds
    let backboneFrozen: Bool
    package let batchesPerEpoch: Int
    package let totalIterations: Int
    /// Epochs the run will evaluate.
    package let plannedEpochs: Int
    let seed: UInt64
    let augmented: Bool
    /// How evaluated images are cropped (`config.eval_crop`).
    package let evaluationCrop: EvaluationCrop
    var position: TrainingPosition
    var log: TrainingLog?
    var started = Date()
    /// Set when this process is one rank of a data-parallel run (see `DataParallel`).
    let parallel: DataParallel?
    /// The stop request all ranks agreed on at the last step (data-parallel runs).
    var agreedStop = false
    /// Whether this process writes the run's files (rank 0, or the only process).
    package var isWriter: Bool { parallel?.isWriter ?? true }

    /// `config` must be resolved (`TuneConfiguration.resolved`). The student is put
    /// in train mode (or frozen with `backbone_lr_multiplier` 0). With `distributed`,
    /// this process is one rank of a data-parallel run: `batch_size` is the global
    /// batch, each rank trains on its equal shard (docs/DISTRIBUTED.md).
    package init(
        config: TuneConfiguration, student: HubModel, train: any Dataset, validation: any Dataset,
        methodTerms: [any LossTerm], output: URL, progress: any TrainingProgress = SilentProgress(),
        distributed: ProcessGroup? = nil
    ) throws {
        let reduction = try DataParallel.GradientReduction.fromEnvironment()
        parallel = distributed.flatMap { $0.worldSize > 1 ? DataParallel(group: $0, reduction: reduction) : nil }
        self.config = config
        self.student = student
        self.output = output
        self.progress = progress
        seed = UInt64(config.seed)
        classCount = train.classNames.count
        guard classCount >= 2 else {
            throw TuningError.invalidConfiguration(
                file: config.data ?? "data", field: "data",
                message: "the training split has \(classCount) class(es); classification needs at least 2")
        }
        guard train.count > 0, validation.count > 0 else {
            throw TuningError.invalidConfiguration(
                file: config.data ?? "data", field: "data",
                message: "empty split (training \(train.count) samples, validation \(validation.count))")
        }
        head = try LinearHead(features: student.featureDimension, classes: classCount, seed: Self.derivedSeed(seed, stream: 1))
        terms = [CrossEntropyTerm(weight: config.ceWeight, labelSmoothing: config.labelSmoothing)] + methodTerms
        let names = terms.map(\.name)
        if let duplicate = names.first(where: { n in names.filter { $0 == n }.count > 1 }) {
            throw TuningError.incompatible(method: config.method, message: "two loss terms are named '\(duplicate)'; log keys must be unique")
        }
        // The head and the terms' tensors are made on the CPU (the same seeded values
        // on every device) and join the student on its device.
        if student.device != .cpu {
            for tensor in try head.parameters + terms.flatMap(\.trainableParameters) + terms.flatMap({ try $0.state().map(\.tensor) }) {
                try tensor.move(to: student.device)
            }
        }
        needs = terms.reduce(into: OutputNeeds()) { $0.formUnion($1.studentNeeds) }
        guard student.supports(needs) else {
            throw TuningError.incompatible(
                method: config.method,
                message:
                    "its loss terms need \(needs.contains(.hints) ? "hints" : "source logits") from the student, but the card of '\(student.name)' has no \(needs.contains(.hints) ? "'hints' stage" : "'source_head'")"
            )
        }

        // Data: a batch larger than the split takes the whole split; dropping the last
        // batch only applies when something is left.
        let batch = Swift.min(config.batchSize, train.count)
        augmented = config.augment && student.card.input.kind == .image
        try parallel?.checkDivisible(batch: batch, trainCount: train.count, dropLast: config.dropLast)
        trainLoader = DataLoader(
            dataset: train, batchSize: batch,
            transform: TrainingTransforms.training(student.card, augment: config.augment, padding: config.augmentPadding),
            shuffle: true, seed: seed, dropLast: config.dropLast, prefetch: 2, workers: config.workers,
            shard: parallel?.shard)
        guard let crop = EvaluationCrop(rawValue: config.evalCrop) else {
            throw TuningError.invalidConfiguration(
                file: config.data ?? "data", field: "eval_crop",
                message: "'\(config.evalCrop)' is not one of \(EvaluationCrop.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard crop == .none || student.card.input.kind == .image else {
            throw TuningError.invalidConfiguration(
                file: config.data ?? "data", field: "eval_crop",
                message: "'\(crop.rawValue)' crops images, but '\(student.name)' takes \(student.card.input.kind.rawValue) input; use none")
        }
        evaluationCrop = crop
        // Evaluation is split by rank too (shards of each batch may be unequal or
        // empty there: only counts are summed).
        validationLoader = DataLoader(
            dataset: validation, batchSize: config.batchSize,
            transform: TrainingTransforms.evaluation(student.card, crop: crop), shuffle: false, seed: 0,
            prefetch: 2, workers: config.workers, shard: parallel?.shard)
        batchesPerEpoch = trainLoader.batchCount
        if let iterations = config.iterations {
            totalIterations = iterations
            plannedEpochs = (iterations + batchesPerEpoch - 1) / batchesPerEpoch
        } else {
            plannedEpochs = config.epochs ?? 10
            totalIterations = plannedEpochs * batchesPerEpoch
        }

        // Parameter groups.
        let lr = config.optimizer.lr ?? 0.01
        let multiplier = config.optimizer.backboneLrMultiplier
        backboneFrozen = multiplier == 0
        let backbone = try student.namedParameters().map(\.tensor)
        if backboneFrozen { try student.freeze() } else { try student.train() }
        var groups = [
            ParameterGroup(backboneFrozen ? [] : backbone, name: "backbone", learningRate: lr * multiplier),
            ParameterGroup(head.parameters, name: "head", learningRate: lr),
        ]
        let termParameters = terms.flatMap(\.trainableParameters)
        groups.append(ParameterGroup(termParameters, name: "terms", learningRate: lr))
        let wd = config.optimizer.weightDecay ?? 0
        if config.optimizer.name == "adamw" {
            optimizer = try Adam(
                groups,
                options: .adamW(
                    learningRate: lr, beta1: config.optimizer.beta1, beta2: config.optimizer.beta2,
                    eps: config.optimizer.eps, weightDecay: wd))
        } else {
            optimizer = try SGD(
                groups,
                options: SGD.Options(
                    learningRate: lr, momentum: config.optimizer.momentum,
                    weightDecay: wd, nesterov: config.optimizer.nesterov))
        }
        try parallel?.prepare(trainable: (backboneFrozen ? [] : backbone) + head.parameters + termParameters)
        scheduler = LearningRateScheduler(
            optimizer: optimizer,
            schedule: config.schedule.make(totalIterations: totalIterations, batchesPerEpoch: batchesPerEpoch))
        store = CheckpointStore(directory: output.appendingPathComponent("checkpoint"))
        position = TrainingPosition(seed: seed)
    }

    /// A seed for one purpose (head, libtorch's generator at an iteration) from the run's seed.
    /// (The project's one stream derivation, `SeededGenerator(seed:streams:)`.)
    static func derivedSeed(_ seed: UInt64, stream: UInt64...) -> UInt64 {
        var g = SeededGenerator(seed: seed, streams: stream)
        return g.next()
    }

    // MARK: Running

    /// Trains to the end (or until `shouldStop`), resuming from `OUT/checkpoint`
    /// when `resume` is set. A new run refuses an output directory that already
    /// holds a checkpoint.
    package func run(resume: Bool) throws -> TrainingOutcome {
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        if resume {
            try restoreCheckpoint()
        } else if store.exists {
            throw TuningError.checkpoint(
                message: "\(output.path) already holds a run's checkpoint; pass --resume to continue it or choose another --out")
        }
        try store.prepare()
        if isWriter {
            log = try TrainingLog(url: output.appendingPathComponent("log.jsonl"), keepingBytes: resume ? position.logBytes : nil)
        }
        // Every rank starts from rank 0's values (the same seeds give the same
        // initial values already; this also covers anything seeded otherwise).
        try parallel?.broadcast(try weights().map(\.tensor) + terms.flatMap(\.trainableParameters), during: "the initial broadcast")
        started = Date()

        while position.iteration < totalIterations {
            try trainEpoch()
        }
        guard let best = position.best, let last = position.last else {
            throw TuningError.checkpoint(message: "training ended without an evaluation")
        }
        return TrainingOutcome(best: best, last: last, epochs: last.epoch, iterations: position.iteration, seconds: elapsed)
    }

    var elapsed: Double { position.seconds + Date().timeIntervalSince(started) }

    /// One epoch (or its remainder after a resume), then its evaluation and checkpoint.
    func trainEpoch() throws {
        let epoch = position.epoch
        let remainingBatches = Swift.min(batchesPerEpoch - position.batchInEpoch, totalIterations - position.iteration)
        progress.begin("epoch \(epoch + 1)/\(plannedEpochs)", total: remainingBatches, unit: "batches")
        let batches = trainLoader.iterator(epoch: epoch)
        defer { batches.close() }
        for _ in 0..<position.batchInEpoch { _ = try batches.nextBatch() }
        while position.batchInEpoch < batchesPerEpoch, position.iteration < totalIterations, let batch = try batches.nextBatch() {
            let lr = optimizer.groups[1].learningRate
            let losses = try step(batch, epoch: epoch)
            position.batchInEpoch += 1
            position.iteration += 1
            let endOfEpoch = position.batchInEpoch == batchesPerEpoch || position.iteration == totalIterations
            if position.iteration % config.logEvery == 0 || endOfEpoch {
                try log?.append(
                    .step(
                        StepRecord(
                            epoch: epoch + 1, iteration: position.iteration, learningRate: lr,
                            loss: Dictionary(losses, uniquingKeysWith: { first, _ in first }), seconds: elapsed)))
            }
            progress.advance(String(format: "loss %.4f", losses[0].1))
            if endOfEpoch { break }
            if stopRequested() {
                try writeCheckpoint()
                progress.finish()
                throw TrainingInterrupted(epoch: epoch + 1, iteration: position.iteration, checkpoint: store.directory.path)
            }
            if let every = config.checkpointEvery, position.iteration % every == 0 { try writeCheckpoint() }
        }
        progress.finish()
        try finishEpoch(epoch)
        if stopRequested() && position.iteration < totalIterations {
            throw TrainingInterrupted(epoch: epoch + 1, iteration: position.iteration, checkpoint: store.directory.path)
        }
    }

    /// `shouldStop`, or on several processes the request any rank made at the last
    /// step (agreed in that step's all-reduce, so every rank stops at the same step).
    func stopRequested() -> Bool {
        parallel == nil ? shouldStop() : agreedStop
    }

    /// One optimiser step; returns ("total", value) then each term's unweighted value.
    func step(_ batch: Batch, epoch: Int) throws -> [(String, Double)] {
        try checkLabels(batch.labels, split: "training")
        // Dropout and any other use of libtorch's global generator draw from a state
        // fixed by (seed, iteration), so a resumed run draws the same numbers. The
        // generator is process-wide: the lock keeps other trainers in the process
        // from drawing from it in between.
        return try GlobalGenerator.lock.withLock {
            TorchRuntime.manualSeed(Self.derivedSeed(seed, stream: 2, UInt64(position.iteration)))
            return try optimiserStep(batch, epoch: epoch)
        }
    }

    private func optimiserStep(_ batch: Batch, epoch: Int) throws -> [(String, Double)] {
        let input = try student.input(batch)
        let labels = try labelTensor(batch.labels)
        let outputs = try student.outputs(input, needs: needs)
        let logits = try head(outputs.features)
        var trainingStep = TrainingStep(
            input: input, labels: labels, indices: batch.indices, augmented: augmented,
            student: outputs, logits: logits, classCount: classCount,
            epoch: epoch, iteration: position.iteration)
        let (student, head) = (self.student, self.head)
        trainingStep.replay = StudentReplay(
            logits: { try head(try student.outputs($0, needs: []).features) },
            parameters: { try student.namedParameters().map(\.tensor) + head.parameters })
        var total: Tensor?
        var values = [(String, Double)]()
        for term in terms {
            let value = try term.loss(trainingStep)
            let scalar = try value.item()
            guard scalar.isFinite else {
                throw TuningError.diverged(
                    term: term.name, iteration: position.iteration + 1,
                    message: "the loss is \(scalar) (lower the learning rate or the term's weight)")
            }
            values.append((term.name, scalar))
            let weighted = try value * term.weight
            total = try total.map { try $0 + weighted } ?? weighted
        }
        guard let total else { throw TuningError.incompatible(method: config.method, message: "no loss terms") }
        let totalValue = try total.item()
        guard totalValue.isFinite else {
            throw TuningError.diverged(term: "total", iteration: position.iteration + 1, message: "the weighted sum is \(totalValue)")
        }
        try optimizer.zeroGrad()
        try total.backward()
        try parallel?.averageGradients(iteration: position.iteration + 1)
        try optimizer.step()
        scheduler.step()
        position.schedulerStep = scheduler.stepCount

        let correct = try logits.detach().argmax(dim: 1).eq(labels).sum().itemInt()
        let n = Double(batch.count)
        if let parallel {
            // Sample-weighted sums, counts and the stop request of every rank in one
            // all-reduce: the step's global values, and one stop decision for all.
            let local = [totalValue * n] + values.map { $0.1 * n } + [Double(correct), n, shouldStop() ? 1 : 0]
            let global = try parallel.sum(local, during: "the loss all-reduce of iteration \(position.iteration + 1)")
            let k = values.count
            let samples = global[k + 2]
            agreedStop = global[k + 3] > 0
            position.totals.samples += Int(samples.rounded())
            position.totals.correct += Int(global[k + 1].rounded())
            position.totals.lossSums["total", default: 0] += global[0]
            for (i, (name, _)) in values.enumerated() { position.totals.lossSums[name, default: 0] += global[i + 1] }
            return [("total", global[0] / samples)] + values.enumerated().map { ($0.element.0, global[$0.offset + 1] / samples) }
        }
        position.totals.samples += batch.count
        position.totals.correct += correct
        position.totals.lossSums["total", default: 0] += totalValue * n
        for (name, value) in values { position.totals.lossSums[name, default: 0] += value * n }
        return [("total", totalValue)] + values
    }

    /// A batch's labels as an int64 tensor on the student's device.
    func labelTensor(_ labels: [Int]) throws -> Tensor {
        let tensor = try Tensor(labels.map(Int64.init))
        return student.device == .cpu ? tensor : try tensor.to(student.device)
    }

    func checkLabels(_ labels: [Int], split: String) throws {
        if let bad = labels.first(where: { $0 < 0 || $0 >= classCount }) {
            throw TuningError.invalidConfiguration(
                file: config.data ?? "data", field: "data",
                message: "a \(split) sample has label \(bad) (unlabelled or outside the \(classCount) classes of the training split)")
        }
    }

    /// Evaluates, logs the epoch, tracks the best epoch and writes the checkpoint.
    func finishEpoch(_ epoch: Int) throws {
        if let parallel {
            try synchronizeBuffers()
            try parallel.verifyIdentical(try weights().map(\.tensor) + terms.flatMap(\.trainableParameters), epoch: epoch + 1)
        }
        let metrics = try evaluate()
        // A step can leave non-finite weights behind (the loss was finite before the
        // update): the validation loss is the first place that shows.
        if let loss = metrics.loss, !loss.isFinite {
            throw TuningError.diverged(
                term: "validation", iteration: position.iteration,
                message:
                    "the validation loss is \(loss) after epoch \(epoch + 1): the weights diverged (lower the learning rate or the method's weight)")
        }
        let totals = position.totals
        let n = Double(Swift.max(totals.samples, 1))
        var trainLoss = [String: Double]()
        for name in ["total"] + terms.map(\.name) where trainLoss[name] == nil { trainLoss[name] = (totals.lossSums[name] ?? 0) / n }
        let record = EpochRecord(
            epoch: epoch + 1, iteration: position.iteration, train: .init(loss: trainLoss, top1: Double(totals.correct) / n),
            metrics: ValidationMetrics(loss: metrics.loss, top1: metrics.top1, top5: metrics.top5, meanClass: metrics.meanClass),
            seconds: elapsed)
        try log?.append(.epoch(record))
        position.last = record
        if position.best == nil || metrics.top1 > position.best!.metrics.top1 {
            position.best = record
            if isWriter {
                let name = store.freshName("best", iteration: position.iteration)
                let named = try weights()
                try store.saveTensors(named, as: name)
                position.bestFile = name
                position.bestNames = named.map(\.name)
            }
        }
        progress.log(
            String(
                format: "epoch %d: train loss %.4f top-1 %.4f | val loss %.4f top-1 %.4f%@%@",
                epoch + 1, (totals.lossSums["total"] ?? 0) / n, Double(totals.correct) / n, metrics.loss ?? .nan, metrics.top1,
                metrics.top5.map { String(format: " top-5 %.4f", $0) } ?? "",
                metrics.meanClass.map { String(format: " mean-class %.4f", $0) } ?? ""))
        position.epoch += 1
        position.batchInEpoch = 0
        position.totals = EpochTotals()
        try writeCheckpoint()
    }

    /// Top-1 (top-5, mean per class) and loss of the head on the validation split,
    /// in eval mode without gradient.
    package func evaluate() throws -> ClassificationMetrics {
        var accumulator = try accumulate(validationLoader, split: "validation")
        if let parallel {
            accumulator.unpack(try parallel.sum(accumulator.packed, during: "the evaluation all-reduce"))
        }
        return accumulator.result(withLoss: true)
    }

    /// The live model and head on the test split, by this process alone (no shards,
    /// no all-reduce), in eval mode without gradient, with the run's evaluation
    /// crop. `TuneJob` calls it once, after training, with the weights of the epoch
    /// chosen on validation.
    package func evaluateTest(_ test: any Dataset) throws -> ClassificationMetrics {
        let loader = DataLoader(
            dataset: test, batchSize: config.batchSize,
            transform: TrainingTransforms.evaluation(student.card, crop: evaluationCrop), shuffle: false,
            seed: 0, prefetch: 2, workers: config.workers)
        return try accumulate(loader, split: "test").result(withLoss: true)
    }

    /// The metrics of the student and head on the batches of `loader`, in eval mode
    /// without gradient. With `eval_crop: ten` each sample holds ten views: the
    /// prediction is the mean of their softmax outputs, p = (1/V) Σ_v softmax(z_v),
    /// taken as log p (top-k and the loss, −log p_y, read it) and computed as
    /// logsumexp_v(log_softmax(z_v)) − log V so that no probability underflows to a
    /// log of zero.
    private func accumulate(_ loader: DataLoader, split: String) throws -> MetricAccumulator {
        var accumulator = MetricAccumulator(classCount: classCount, meanClass: config.meanClass)
        let views = evaluationCrop.views
        try student.withEvalMode {
            try withNoGrad {
                let batches = loader.iterator(epoch: 0)
                defer { batches.close() }
                while let batch = try batches.nextBatch() {
                    // A rank's shard of a small last batch may be empty.
                    if batch.count == 0 { continue }
                    try checkLabels(batch.labels, split: split)
                    let logits: Tensor
                    if views > 1 {
                        guard batch.shape.count >= 2, batch.shape[1] == views else {
                            throw TuningError.model(
                                name: student.name, message: "an evaluation batch of shape \(batch.shape) has no \(views) views per sample")
                        }
                        var flat = batch
                        flat.shape = [batch.count * views] + Array(batch.shape.dropFirst(2))
                        let perView = try head(try student.outputs(try student.input(flat), needs: []).features)
                        logits =
                            try perView.logSoftmax(dim: 1).reshape([batch.count, views, classCount]).logsumexp(dims: [1])
                            - Foundation.log(Double(views))
                    } else {
                        logits = try head(try student.outputs(try student.input(batch), needs: []).features)
                    }
                    let loss = try Loss.crossEntropy(logits, try labelTensor(batch.labels)).item()
                    try accumulator.add(logits: logits, labels: batch.labels, loss: loss)
                }
            }
        }
        return accumulator
    }

    /// Buffers (batch-norm running statistics) follow each rank's shards while
    /// training; rank 0's are given to every rank before evaluations and checkpoints.
    func synchronizeBuffers() throws {
        guard let parallel else { return }
        let buffers = try student.namedBuffers().map(\.tensor)
        if !buffers.isEmpty { try parallel.broadcast(buffers, during: "the buffer broadcast") }
    }

    // MARK: Checkpoints

    /// Model parameters and buffers and the head, by checkpoint name.
    func weights() throws -> [(name: String, tensor: Tensor)] {
        try student.namedParameters().map { (name: "model.\($0.name)", tensor: $0.tensor) }
            + student.namedBuffers().map { (name: "buffer.\($0.name)", tensor: $0.tensor) }
            + [(name: "head.weight", tensor: head.weight), (name: "head.bias", tensor: head.bias)]
    }

    /// Term state, prefixed by the term's position so two terms never collide.
    func termState() throws -> [(name: String, tensor: Tensor)] {
        var out = [(name: String, tensor: Tensor)]()
        for (i, term) in terms.enumerated() {
            out += try term.state().map { (name: "term.\(i).\($0.name)", tensor: $0.tensor) }
        }
        return out
    }

    /// Writes the checkpoint: tensors and optimiser state to fresh files, then the
    /// position (naming them) atomically.
    package func writeCheckpoint() throws {
        try synchronizeBuffers()
        guard isWriter else {
            // Other ranks keep the same position as rank 0 without writing files.
            position.schedulerStep = scheduler.stepCount
            position.seconds = elapsed
            started = Date()
            return
        }
        let named = try weights() + termState()
        let tensorsName = store.freshName("tensors", iteration: position.iteration)
        try store.saveTensors(named, as: tensorsName)
        let optimizerName = store.freshName("optimizer", iteration: position.iteration)
        do {
            try optimizer.state().save(to: store.file(optimizerName).path)
        } catch {
            throw TuningError.checkpoint(message: "cannot write the optimiser state: \(error)")
        }
        var saved = position
        saved.tensorsFile = tensorsName
        saved.tensorNames = named.map(\.name)
        saved.optimizerFile = optimizerName
        saved.schedulerStep = scheduler.stepCount
        saved.seconds = elapsed
        saved.logBytes = log?.length ?? 0
        saved.fingerprint = fingerprint
        try store.commit(saved)
        position = saved
        // `elapsed` is the committed seconds plus the time since `started`: restart
        // the clock so the seconds just committed are not counted twice.
        started = Date()
    }

    func restoreCheckpoint() throws {
        let saved = try store.load()
        guard saved.seed == seed else {
            throw TuningError.checkpoint(message: "the checkpoint was written with seed \(saved.seed), this run has seed \(seed)")
        }
        if let then = saved.fingerprint, let now = fingerprint {
            if then.configuration != now.configuration {
                throw TuningError.checkpoint(
                    message:
                        "the configuration changed since the checkpoint was written (fingerprint \(then.configuration.prefix(12))… then, \(now.configuration.prefix(12))… now); resume with the same settings"
                )
            }
            if then.dataset != now.dataset {
                throw TuningError.checkpoint(
                    message:
                        "the dataset changed since the checkpoint was written (its content fingerprint was \(then.dataset.prefix(12))…, now \(now.dataset.prefix(12))…); resume on the same data"
                )
            }
        }
        for name in [saved.tensorsFile, saved.optimizerFile] + [saved.bestFile].compactMap({ $0 }) {
            try store.verify(name, in: saved)
        }
        let tensors = try store.loadTensors(saved.tensorsFile, names: saved.tensorNames)
        try restore(try weights(), from: tensors, file: saved.tensorsFile)
        for (i, term) in terms.enumerated() {
            let prefix = "term.\(i)."
            var own = [String: Tensor]()
            for (name, tensor) in tensors where name.hasPrefix(prefix) { own[String(name.dropFirst(prefix.count))] = tensor }
            try term.restore(own)
        }
        let state: OptimizerState
        do {
            state = try OptimizerState.load(from: store.file(saved.optimizerFile).path)
            try optimizer.load(state)
        } catch {
            throw TuningError.checkpoint(message: "cannot restore the optimiser from \(saved.optimizerFile): \(error)")
        }
        scheduler.stepCount = saved.schedulerStep
        position = saved
    }

    /// Puts the best epoch's weights (or keeps the last ones) into the live model
    /// and head, for export.
    package func loadBestWeights() throws {
        guard let file = position.bestFile else { return }
        try store.verify(file, in: position)
        let saved = try store.loadTensors(file, names: position.bestNames)
        try restore(try weights(), from: saved, file: file)
    }
}
