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

    package static func open(_ url: URL, validationFraction: Double, seed: UInt64) throws -> TuneData {
        let defined = Set(try DatasetLoader.splits(url))
        let train: any Dataset
        let validation: any Dataset
        var record: DataSplitRecord
        if defined.contains(.train), defined.contains(.validation) {
            train = try DatasetLoader.open(url, split: .train)
            validation = try DatasetLoader.open(url, split: .validation)
            record = DataSplitRecord(
                kind: "dataset", train: "train", validation: DatasetSplit.validation.rawValue,
                trainSamples: train.count, validationSamples: validation.count)
        } else {
            let whole = defined.contains(.train) ? try DatasetLoader.open(url, split: .train) : try DatasetLoader.open(url, split: nil)
            let parts = try SeededSplit.subsets(of: whole, fractions: [1 - validationFraction, validationFraction], seed: seed)
            (train, validation) = (parts[0], parts[1])
            record = DataSplitRecord(
                kind: "seeded", train: defined.contains(.train) ? "train" : "all", validation: "held-out",
                trainSamples: train.count, validationSamples: validation.count,
                validationFraction: validationFraction, seed: Int(seed))
        }
        guard validation.classNames == train.classNames else {
            throw DataError.invalidField(
                path: url.path, field: "classes",
                expected: "the same classes in the training and \(record.validation) splits (\(train.classNames.count))",
                found: "\(validation.classNames.count) classes in \(record.validation)")
        }
        return TuneData(train: train, validation: validation, record: record)
    }
}
