import Foundation
import Testing
import FeatureIO
import Linalg

/// Read speed on a realistic feature file: 50000 x 2048 float32, C order (400 MB).
/// Off by default (it needs ~2 GB of memory and disk); run it optimized with
///
///     FEATUREIO_BENCHMARK=1 swift test -c release --filter ReadSpeedBenchmark
@Suite(.serialized) struct ReadSpeedBenchmark {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["FEATUREIO_BENCHMARK"] != nil))
    func float32NpyIntoMatrix() throws {
        let rows = 50_000, columns = 2048
        let dir = try ScratchDirectory()
        let url = dir.file("features.npy")
        let clock = ContinuousClock()

        var values = [Double](repeating: 0, count: rows * columns)
        for i in 0..<values.count { values[i] = Double(i % 4093) * 0.125 - 100 }
        let writeTime = try clock.measure {
            try FeatureFile.writeNpy(NumericArray(shape: [rows, columns], dtype: .float32, values: values), to: url)
        }
        values = []
        print("write float32 .npy \(rows)x\(columns): \(writeTime)")

        var best = Duration.seconds(1000)
        for attempt in 1...3 {
            var matrix = Matrix(rows: 0, columns: 0)
            let t = try clock.measure { matrix = try FeatureFile.readMatrix(at: url) }
            best = min(best, t)
            print("readMatrix attempt \(attempt): \(t)")
            #expect(matrix.rows == rows && matrix.columns == columns)
            #expect(matrix[rows - 1, columns - 1] == Double((rows * columns - 1) % 4093) * 0.125 - 100)
        }
        #expect(best < .seconds(2))

        // The same bytes declared Fortran-order ('False' -> 'True ' keeps the header
        // length): the reader must transpose 100M elements into row-major order.
        var bytes = try Data(contentsOf: url)
        if let range = bytes.range(of: Data("False".utf8), in: 0..<128) {
            bytes.replaceSubrange(range, with: Data("True ".utf8))
        }
        let fortranURL = dir.file("fortran.npy")
        try bytes.write(to: fortranURL)
        bytes = Data()
        var fortran = Matrix(rows: 0, columns: 0)
        let fortranTime = try clock.measure { fortran = try FeatureFile.readMatrix(at: fortranURL) }
        print("readMatrix, Fortran order: \(fortranTime)")
        #expect(fortran.rows == rows && fortran.columns == columns)
        // Element (i, j) of the Fortran view is element j * rows + i of the file.
        #expect(fortran[3, 5] == Double((5 * rows + 3) % 4093) * 0.125 - 100)
        try FileManager.default.removeItem(at: fortranURL)

        let reader = try MatrixRowReader(url: url)
        var sum = 0.0
        let chunked = try clock.measure {
            try reader.forEachChunk(rows: 4096) { _, block in sum += block.storage[0] }
        }
        print("MatrixRowReader, 4096-row chunks: \(chunked)")
        #expect(sum.isFinite)
    }

    /// CSV is the slow path by nature (text to number); 20000 x 256 is a typical
    /// spreadsheet-sized export.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["FEATUREIO_BENCHMARK"] != nil))
    func csvIntoMatrix() throws {
        let rows = 20_000, columns = 256
        let dir = try ScratchDirectory()
        let url = dir.file("features.csv")
        var m = Matrix(rows: rows, columns: columns)
        for i in 0..<m.storage.count { m.storage[i] = Double(i % 1009) * 0.001 - 0.3 }
        try FeatureFile.writeCSV(m, to: url, header: (0..<columns).map { "f\($0)" })
        let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int ?? 0
        let clock = ContinuousClock()
        var back = Matrix(rows: 0, columns: 0)
        let t = try clock.measure { back = try FeatureFile.readMatrix(at: url) }
        print("readMatrix CSV \(rows)x\(columns) (\(size / 1_000_000) MB): \(t)")
        #expect(back == m)
    }
}
