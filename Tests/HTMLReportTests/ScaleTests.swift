import Foundation
import Testing
@testable import HTMLReport

@Suite("Linear scales and nice ticks")
struct ScaleTests {
    @Test("placeholder")
    func placeholder() {}
}
