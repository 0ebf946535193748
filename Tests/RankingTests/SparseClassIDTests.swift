import Foundation
import Testing
@testable import Ranking

@Suite("class ids far beyond the number of classes")
struct SparseClassIDTests {
    /// Before, the holes were found by walking 0...max id: one id of 1e9 took minutes
    /// and gigabytes. Now they are found between the present ids.
    @Test("one id of 1e9 among 0..9 is encoded at once; the warning counts the holes", .timeLimit(.minutes(1)))
    func hugeIDAmongSmallOnes() throws {
        let started = Date()
        let t = try TargetEncoder.encodeClasses(Array(0..<10) + [1_000_000_000] + Array(0..<10))
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(t.classes == Array(0..<10) + [1_000_000_000])
        #expect(t.columnCount == 11)
        // The first ten missing ids are 10...19; 1e9 + 1 - 11 ids in all have no sample.
        #expect(
            t.warnings.contains {
                $0.contains("class ids 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, ... (999999990 in all) have no sample")
            }, "\(t.warnings)")
    }

    @Test("holes before, between and after clusters are listed in order")
    func holesInOrder() throws {
        let t = try TargetEncoder.encodeClasses([2, 5, 5, 2, 7])
        #expect(t.warnings.contains { $0.contains("class ids 0, 1, 3, 4, 6 have no sample; scoring the 3 classes present") }, "\(t.warnings)")
    }
}
