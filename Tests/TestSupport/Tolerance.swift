import Testing

/// Expects `actual` within `tolerance` of `expected`, relative to |expected| when that
/// exceeds 1 (absolute below), and reports a failure at the caller's line.
public func expectClose(
    _ actual: Double, _ expected: Double, tolerance: Double, _ what: @autoclosure () -> String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let bound = tolerance * max(1, abs(expected))
    let ok = actual == expected || abs(actual - expected) <= bound
    let label = what()
    #expect(
        ok, "\(label.isEmpty ? "" : label + ": ")\(actual) vs \(expected) (|difference| \(abs(actual - expected)) > \(bound))",
        sourceLocation: sourceLocation)
}

/// Element by element, with the index of each element that is off.
public func expectClose(
    _ actual: [Double], _ expected: [Double], tolerance: Double, _ what: @autoclosure () -> String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.count == expected.count, "\(what()): \(actual.count) values vs \(expected.count)", sourceLocation: sourceLocation)
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        expectClose(a, e, tolerance: tolerance, "\(what())[\(i)]", sourceLocation: sourceLocation)
    }
}
