import Foundation

/// The readers under test take files, so each input is written to one scratch file
/// per process (in /dev/shm when there is one: no disk traffic) and read from there.
enum FuzzInput {
    nonisolated(unsafe) static var directory: URL = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
        let dir = base.appendingPathComponent("hubminer-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }()

    /// Writes the input to `name` in the scratch directory and returns its URL.
    static func file(_ start: UnsafePointer<UInt8>?, _ count: Int, name: String) -> URL {
        let url = directory.appendingPathComponent(name)
        let data = start.map { Data(bytes: $0, count: count) } ?? Data()
        try? data.write(to: url)
        return url
    }
}
