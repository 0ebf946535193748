import Foundation

/// Reports progress of long work on standard error: a bar with rate and ETA when
/// standard error is a terminal, plain lines otherwise (logs, CI). Safe to call
/// from several threads.
public final class ProgressReporter: @unchecked Sendable {
    // @unchecked: all mutable state is guarded by `lock`.
    public enum Style: Sendable { case bar, lines, silent }

    private let lock = NSLock()
    private let style: Style
    private var total = 0
    private var done = 0
    private var label = ""
    private var unit = "items"
    private var started = Date()
    private var lastDraw = Date.distantPast

    public init(style: Style? = nil) {
        self.style = style ?? (isatty(STDERR_FILENO) == 1 ? .bar : .lines)
    }

    /// Starts a phase of `total` steps.
    public func begin(_ label: String, total: Int, unit: String = "items") {
        lock.withLock {
            self.label = label
            self.total = total
            self.unit = unit
            done = 0
            started = Date()
            lastDraw = .distantPast
            if style == .lines { write("\(label): \(total) \(unit)\n") }
        }
    }

    /// Marks one step finished, with a short note (e.g. the model and its score).
    public func advance(_ note: String) {
        lock.withLock {
            done += 1
            switch style {
            case .silent: break
            case .lines:
                write("[\(done)/\(total)] \(note)\n")
            case .bar:
                let now = Date()
                if done == total || now.timeIntervalSince(lastDraw) > 0.1 {
                    lastDraw = now
                    write("\r" + barLine(note: note, now: now))
                }
            }
        }
    }

    /// Ends the phase (finishes the bar's line).
    public func finish() {
        lock.withLock {
            if style == .bar && total > 0 { write("\n") }
            if style == .lines {
                write(String(format: "%@: done in %.2f s\n", label, Date().timeIntervalSince(started)))
            }
        }
    }

    /// A message on its own line, not disturbing the bar.
    public func log(_ message: String) {
        lock.withLock {
            guard style != .silent else { return }
            write((style == .bar ? "\r\u{1B}[K" : "") + message + "\n")
        }
    }

    private func barLine(note: String, now: Date) -> String {
        let elapsed = max(now.timeIntervalSince(started), 1e-9)
        let rate = Double(done) / elapsed
        let remaining = rate > 0 ? Double(total - done) / rate : 0
        let width = 24
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let shortNote = note.count > 40 ? String(note.prefix(37)) + "..." : note
        return String(
            format: "%@ [%@] %d/%d  %.2f %@/s  ETA %@  %@\u{1B}[K",
            label, bar, done, total, rate, unit, Self.clock(remaining), shortNote)
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
