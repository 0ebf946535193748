import Foundation
import Testing
import FeatureIO
import Support

@Suite("SHA-256")
struct SHA256Tests {
    @Test("NIST vectors: abc, empty, 448-bit message")
    func vectors() {
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test("a million 'a's, fed in uneven pieces")
    func millionA() {
        var h = SHA256.Hasher()
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 999)
        var fed = 0
        while fed < 1_000_000 {
            let n = min(piece.count, 1_000_000 - fed)
            h.update(piece[0..<n])
            fed += n
        }
        #expect(h.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("a file digest streams in chunks and matches the in-memory hash")
    func fileDigest() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        let bytes = pattern(70_001)
        let url = dir.appendingPathComponent("blob.bin")
        try Data(bytes).write(to: url)
        #expect(try FileDigest.sha256(of: url, chunkSize: 4096) == SHA256.hex(bytes))
        #expect(throws: FileReadError.self) { try FileDigest.sha256(of: dir.appendingPathComponent("missing")) }
    }
}
