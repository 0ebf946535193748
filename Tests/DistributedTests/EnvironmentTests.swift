import Distributed
import Testing

@Suite("Distributed environment")
struct EnvironmentTests {
    let valid = ["RANK": "1", "WORLD_SIZE": "4", "MASTER_ADDR": "10.0.0.2", "MASTER_PORT": "29500"]

    @Test("the launch variables are read, with the default timeout")
    func parsesValid() throws {
        let environment = try DistributedEnvironment.parse(valid)
        #expect(environment == DistributedEnvironment(rank: 1, worldSize: 4, masterAddress: "10.0.0.2", masterPort: 29500))
        var custom = valid
        custom["HUBMINER_DIST_TIMEOUT"] = "2.5"
        custom["GLOO_SOCKET_IFNAME"] = "eth1"
        let parsed = try DistributedEnvironment.parse(custom)
        #expect(parsed.timeout == 2.5 && parsed.socketInterface == "eth1")
    }

    @Test(
        "each bad variable gives an error naming it, its value and what was expected",
        arguments: [
            ("RANK", nil, "environment variable RANK is not set; expected a whole number in 0..<WORLD_SIZE (0..<4)"),
            ("RANK", "4", "environment variable RANK is '4'; expected a whole number in 0..<WORLD_SIZE (0..<4)"),
            ("RANK", "one", "environment variable RANK is 'one'; expected a whole number in 0..<WORLD_SIZE (0..<4)"),
            ("WORLD_SIZE", "0", "environment variable WORLD_SIZE is '0'; expected a whole number of processes, at least 1"),
            ("WORLD_SIZE", nil, "environment variable WORLD_SIZE is not set; expected a whole number of processes, at least 1"),
            ("MASTER_ADDR", "", "environment variable MASTER_ADDR is ''; expected the host name or IP address of rank 0, such as 127.0.0.1"),
            ("MASTER_PORT", "70000", "environment variable MASTER_PORT is '70000'; expected a TCP port number in 1...65535"),
            ("HUBMINER_DIST_TIMEOUT", "-1", "environment variable HUBMINER_DIST_TIMEOUT is '-1'; expected a positive number of seconds"),
        ] as [(String, String?, String)])
    func badVariable(name: String, value: String?, message: String) throws {
        var environment = valid
        environment[name] = value
        #expect {
            _ = try DistributedEnvironment.parse(environment)
        } throws: { error in
            "\(error)" == message
        }
    }

    @Test("a rank outside the world size is refused before any connection")
    func rankOutsideWorld() throws {
        #expect {
            _ = try ProcessGroup(DistributedEnvironment(rank: 2, worldSize: 2, masterAddress: "127.0.0.1", masterPort: 29500))
        } throws: { error in
            "\(error)".contains("rank 2 is not in 0..<2")
        }
    }
}
