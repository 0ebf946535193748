import Foundation
import Testing
import FeatureIO

/// `DataFrame.to_csv()` without `index=False` writes the row numbers as an unnamed
/// first column; read as a feature it silently changes every score.
@Suite struct PandasIndexTests {
    let dir: ScratchDirectory
    init() throws { dir = try ScratchDirectory() }

    @Test("an unnamed first column holding 0..N-1 is refused with the fix")
    func indexColumnRefused() throws {
        let url = try dir.write("feats.csv", text: ",f0,f1\n0,0.5,1.5\n1,2.5,0.1\n2,3.0,4.0\n")
        expectFeatureIOError(["feats.csv", "column 1 (no name in the header)", "a pandas index", "index=False"]) {
            _ = try FeatureFile.readMatrix(at: url)
        }
        let roundTripped = try dir.write("again.csv", text: "Unnamed: 0,f0,f1\n0,0.5,1.5\n1,2.5,0.1\n")
        expectFeatureIOError(["again.csv", "a pandas index"]) { _ = try FeatureFile.readMatrix(at: roundTripped) }
    }

    @Test("a named first column, or unnamed values that are not the row numbers, are read")
    func lookalikesRead() throws {
        let named = try dir.write("named.csv", text: "id,f0\n0,0.5\n1,2.5\n")
        #expect(try FeatureFile.readMatrix(at: named).columns == 2)
        let notIndex = try dir.write("values.csv", text: ",f0\n3,0.5\n1,2.5\n")
        #expect(try FeatureFile.readMatrix(at: notIndex).columns == 2)
    }
}
