import Foundation

/// Where a process sits in a multi-process run, as the usual launch variables
/// describe it (the names torchrun and PyTorch use, so existing launchers work):
/// RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT; optionally HUBMINER_DIST_TIMEOUT
/// (seconds) and GLOO_SOCKET_IFNAME (the network interface Gloo binds to).
package struct DistributedEnvironment: Equatable, Sendable {
    package var rank: Int
    package var worldSize: Int
    package var masterAddress: String
    package var masterPort: Int
    /// Bounds the rendezvous and every collective.
    package var timeout: Double
    package var socketInterface: String?

    package static let defaultTimeout = 60.0

    package init(
        rank: Int, worldSize: Int, masterAddress: String, masterPort: Int,
        timeout: Double = DistributedEnvironment.defaultTimeout, socketInterface: String? = nil
    ) {
        self.rank = rank
        self.worldSize = worldSize
        self.masterAddress = masterAddress
        self.masterPort = masterPort
        self.timeout = timeout
        self.socketInterface = socketInterface
    }

    /// Reads and checks the variables; every problem names the variable, its value
    /// and what was expected.
    package static func parse(_ environment: [String: String]) throws -> DistributedEnvironment {
        func integer(_ name: String, _ expected: String, _ valid: (Int) -> Bool) throws -> Int {
            let raw = environment[name]
            guard let raw, let value = Int(raw.trimmingCharacters(in: .whitespaces)), valid(value) else {
                throw DistributedError.environment(variable: name, value: raw, expected: expected)
            }
            return value
        }
        let worldSize = try integer("WORLD_SIZE", "a whole number of processes, at least 1") { $0 >= 1 }
        let rank = try integer("RANK", "a whole number in 0..<WORLD_SIZE (0..<\(worldSize))") { (0..<worldSize).contains($0) }
        guard let address = environment["MASTER_ADDR"]?.trimmingCharacters(in: .whitespaces), !address.isEmpty else {
            throw DistributedError.environment(
                variable: "MASTER_ADDR", value: environment["MASTER_ADDR"],
                expected: "the host name or IP address of rank 0, such as 127.0.0.1")
        }
        let port = try integer("MASTER_PORT", "a TCP port number in 1...65535") { (1...65535).contains($0) }
        var timeout = defaultTimeout
        if let raw = environment["HUBMINER_DIST_TIMEOUT"] {
            guard let value = Double(raw.trimmingCharacters(in: .whitespaces)), value.isFinite, value > 0 else {
                throw DistributedError.environment(
                    variable: "HUBMINER_DIST_TIMEOUT", value: raw,
                    expected: "a positive number of seconds")
            }
            timeout = value
        }
        let interface = environment["GLOO_SOCKET_IFNAME"].flatMap { $0.isEmpty ? nil : $0 }
        return DistributedEnvironment(
            rank: rank, worldSize: worldSize, masterAddress: address, masterPort: port,
            timeout: timeout, socketInterface: interface)
    }

    /// Gloo binds each rank's socket to one address. With a loopback master every
    /// rank is on this machine, so loopback is right; otherwise this machine's
    /// hostname (libtorch's default) unless an interface is named.
    var isLoopback: Bool {
        masterAddress == "localhost" || masterAddress.hasPrefix("127.") || masterAddress == "::1"
    }
}
