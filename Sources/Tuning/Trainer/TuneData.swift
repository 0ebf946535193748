import Data
import Foundation

/// The training and validation samples of a run. The dataset's own train and
/// validation splits when it has both; otherwise a stratified, seeded part of its
/// training split (or of everything when it defines no splits) is held out.
///
/// A test split is never used for validation: epochs are chosen on the validation
/// samples, and a number chosen on the data it is reported on would overstate it.
package struct TuneData {
    package let train: any Dataset
    package let validation: any Dataset
    package let record: DataSplitRecord

    /// `trainPerClass` keeps that many training samples of each class (a few-data
    /// run), drawn with `seed` from the training samples left after the validation
    /// hold-out: validation and test samples are never among them. With
    /// `accessLog`, every sample read from the two splits is recorded there.
    package static func open(
        _ url: URL, validationFraction: Double, seed: UInt64, trainPerClass: Int? = nil, accessLog: SplitAccessLog? = nil
    ) throws -> TuneData {
        let defined = Set(try DatasetLoader.splits(url))
        var train: any Dataset
        let validation: any Dataset
        var record: DataSplitRecord
        if defined.contains(.train), defined.contains(.validation) {
            train = try DatasetLoader.open(url, split: .train)
            validation = try DatasetLoader.open(url, split: .validation)
            record = DataSplitRecord(
                kind: "dataset", train: "train", validation: DatasetSplit.validation.rawValue,
                trainSamples: train.count, validationSamples: validation.count)
        } else {
            // Everything (`split: nil`) would include a test split: a dataset with
            // splits must name its training one.
            if !defined.isEmpty && !defined.contains(.train) {
                throw DataError.invalidField(
                    path: url.path, field: "splits", expected: "a train split beside \(defined.map(\.rawValue).sorted().joined(separator: ", "))",
                    found: "no train split")
            }
            let whole = defined.contains(.train) ? try DatasetLoader.open(url, split: .train) : try DatasetLoader.open(url, split: nil)
            let parts = try SeededSplit.subsets(of: whole, fractions: [1 - validationFraction, validationFraction], seed: seed)
            (train, validation) = (parts[0], parts[1])
            record = DataSplitRecord(
                kind: "seeded", train: defined.contains(.train) ? "train" : "all", validation: "held-out",
                trainSamples: train.count, validationSamples: validation.count,
                validationFraction: validationFraction, seed: Int(seed))
        }
        if let perClass = trainPerClass {
            train = try fewPerClass(train, perClass: perClass, seed: seed)
            record.trainSamples = train.count
            record.trainPerClass = perClass
        }
        guard validation.classNames == train.classNames else {
            throw DataError.invalidField(
                path: url.path, field: "classes",
                expected: "the same classes in the training and \(record.validation) splits (\(train.classNames.count))",
                found: "\(validation.classNames.count) classes in \(record.validation)")
        }
        if let accessLog {
            return TuneData(
                train: accessLog.recording(train, as: "train"), validation: accessLog.recording(validation, as: "validation"),
                record: record)
        }
        return TuneData(train: train, validation: validation, record: record)
    }

    /// The dataset's test split, or nil when it defines none. Opened only after
    /// training, for the one evaluation of the chosen model; its classes must be the
    /// training split's (`classNames`).
    package static func openTest(_ url: URL, classNames: [String], accessLog: SplitAccessLog? = nil) throws -> (any Dataset)? {
        guard try DatasetLoader.splits(url).contains(.test) else { return nil }
        let test = try DatasetLoader.open(url, split: .test)
        guard test.classNames == classNames else {
            throw DataError.invalidField(
                path: url.path, field: "classes",
                expected: "the same classes in the training and test splits (\(classNames.count))",
                found: "\(test.classNames.count) classes in test")
        }
        return accessLog.map { $0.recording(test, as: "test") } ?? test
    }

    /// `perClass` samples of each class of `dataset` (all of a class with fewer),
    /// chosen by a seeded shuffle per class (a stream of its own, so the choice does
    /// not move when another class changes), in dataset order. Unlabelled samples
    /// are left out.
    package static func fewPerClass(_ dataset: any Dataset, perClass: Int, seed: UInt64) throws -> SubsetDataset {
        let labels = try dataset.labels()
        var byClass = [Int: [Int]]()
        for (i, label) in labels.enumerated() { if let label { byClass[label, default: []].append(i) } }
        var kept = [Int]()
        for label in byClass.keys.sorted() {
            var members = byClass[label]!
            var random = DataRandom(seed: seed, stream: 0x6665_7764_6174_61, UInt64(label))
            if members.count > 1 {
                for i in stride(from: members.count - 1, to: 0, by: -1) { members.swapAt(i, random.int(below: i + 1)) }
            }
            kept += members.prefix(perClass)
        }
        return SubsetDataset(base: dataset, indices: kept.sorted())
    }
}
