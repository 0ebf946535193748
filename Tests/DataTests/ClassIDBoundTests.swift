import FeatureIO
import Foundation
import Testing
@testable import Data

@Suite("class ids bounded before allocating per-class storage")
struct ClassIDBoundTests {
    /// Before, one label of 1e9 made the dataset build a billion class names (3 GB in 12 s).
    @Test("a NumPy label of 1e9 is refused, naming the file, the element and the bound", .timeLimit(.minutes(1)))
    func numpyHugeClassID() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        let images = dir.appendingPathComponent("x.npy"), labels = dir.appendingPathComponent("y.npy")
        try FeatureFile.writeNpy(NumericArray(shape: [11, 2], dtype: .float32, values: Array(repeating: 0.5, count: 22)), to: images)
        try FeatureFile.writeNpy(
            NumericArray(shape: [11], dtype: .int64, values: (0..<10).map(Double.init) + [1e9]), to: labels)
        do {
            _ = try NumpyDataset(images: images, labels: labels)
            Issue.record("accepted a class id of 1e9")
        } catch {
            let message = "\(error)"
            #expect(message.contains("y.npy") && message.contains("element 10") && message.contains("at most \(maxClassID)"), "\(message)")
        }
    }

    @Test("a CSV label of 1e9 is refused naming the row")
    func csvHugeClassID() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        let csv = dir.appendingPathComponent("t.csv")
        try Data("a,b,label\n1,2,0\n3,4,1000000000\n5,6,1\n".utf8).write(to: csv)
        do {
            _ = try CSVDataset(url: csv)
            Issue.record("accepted a class id of 1e9")
        } catch {
            #expect("\(error)".contains("row 2 label") && "\(error)".contains("1000000000"), "\(error)")
        }
    }

    @Test("the largest allowed id is accepted")
    func largestAllowed() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        let csv = dir.appendingPathComponent("t.csv")
        try Data("a,label\n1,0\n2,\(maxClassID)\n".utf8).write(to: csv)
        let d = try CSVDataset(url: csv)
        #expect(d.classNames.count == maxClassID + 1)
    }
}
