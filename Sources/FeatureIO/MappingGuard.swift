import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Turns the SIGBUS of a mapped file that shrank underneath us into a one-line error
/// that names the file, instead of a crash.
///
/// `ByteBuffer` maps only files of `ByteBuffer.mapThreshold` bytes or more, for
/// `MatrixRowReader`, which streams files larger than memory and so cannot copy them.
/// If another process truncates such a file while it is mapped (a script re-saving it
/// during `hubminer stats`), touching a page past the new end raises SIGBUS. Each
/// mapping is registered here; the handler looks the faulting address up, writes
/// "Error: <file>: ..." to standard error and exits with status 1, as any other error
/// of the program does. A fault outside every registered mapping is not ours: the
/// handler puts the previous action back (the runtime's crash reporter, or the
/// default) and returns, so the faulting instruction runs again under it.
///
/// Everything the handler reads is written before the mapping is published and lives
/// in memory allocated once and never freed, so the handler only loads words and calls
/// `write` and `_exit`, which are async-signal-safe.
enum MappingGuard {
    /// Mappings that can be open at once; more are still mapped, just not guarded
    /// (64 feature files of a gigabyte or more read at the same time is far beyond use).
    static let capacity = 64

    /// A registered mapping, so `unregister` can free its slot.
    struct Registration {
        fileprivate let slot: Int
    }

    /// Registers `bytes` (a mapping of the file at `path`); nil when every slot is taken.
    static func register(_ bytes: UnsafeRawBufferPointer, path: String) -> Registration? {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        _ = installed
        let message =
            "Error: \(path): the file shrank while it was being read (another process truncated or rewrote it); run again once the file is complete\n"
        let text = strdup(message)
        guard let text else { return nil }
        lock.lock()
        defer { lock.unlock() }
        for slot in 0..<capacity where table[slot * 4] == 0 {
            // Start last: the handler treats a slot as live once its start is set.
            table[slot * 4 + 1] = Int(bitPattern: base) + bytes.count
            table[slot * 4 + 2] = Int(bitPattern: UnsafeRawPointer(text))
            table[slot * 4 + 3] = strlen(text)
            table[slot * 4] = Int(bitPattern: base)
            return Registration(slot: slot)
        }
        free(text)
        return nil
    }

    /// Frees the slot of a mapping about to be unmapped.
    static func unregister(_ registration: Registration) {
        lock.lock()
        defer { lock.unlock() }
        let slot = registration.slot
        table[slot * 4] = 0
        free(UnsafeMutableRawPointer(bitPattern: table[slot * 4 + 2]))
        table[slot * 4 + 2] = 0
    }

    /// start, end, message pointer and message length per slot.
    nonisolated(unsafe) fileprivate static let table: UnsafeMutablePointer<Int> = {
        let table = UnsafeMutablePointer<Int>.allocate(capacity: capacity * 4)
        table.initialize(repeating: 0, count: capacity * 4)
        return table
    }()

    /// The action in place before ours, restored for faults that are not ours.
    nonisolated(unsafe) fileprivate static let previous: UnsafeMutablePointer<sigaction> = {
        let previous = UnsafeMutablePointer<sigaction>.allocate(capacity: 1)
        previous.initialize(to: sigaction())
        return previous
    }()

    private static let lock = NSLock()

    /// Installs the handler once, the first time a mapping is registered.
    private static let installed: Void = {
        _ = table
        _ = previous
        var action = sigaction()
        action.__sigaction_handler.sa_sigaction = mappedFileFaultHandler
        action.sa_flags = SA_SIGINFO | SA_ONSTACK
        sigemptyset(&action.sa_mask)
        sigaction(SIGBUS, &action, previous)
    }()
}

/// The SIGBUS handler (see `MappingGuard`).
private func mappedFileFaultHandler(
    _ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?
) {
    if let info {
        let address = Int(bitPattern: info.pointee._sifields._sigfault.si_addr)
        let table = MappingGuard.table
        for slot in 0..<MappingGuard.capacity {
            let start = table[slot * 4]
            guard start != 0, address >= start, address < table[slot * 4 + 1] else { continue }
            if let text = UnsafeRawPointer(bitPattern: table[slot * 4 + 2]) {
                _ = write(2, text, table[slot * 4 + 3])
            }
            _exit(1)
        }
    }
    sigaction(SIGBUS, MappingGuard.previous, nil)
}
