import Support
/// Writes safetensors files in the layout of the reference implementation: a compact
/// JSON header padded with spaces to a multiple of 8 bytes (so tensor data is aligned
/// for readers that map the file), then each tensor's little-endian bytes in order.
enum SafetensorsWriter {
    static func write(
        _ arrays: [(String, NumericArray)], metadata: [String: String], path: String,
        into sink: inout some ByteSink
    ) throws {
        var seen = Set<String>()
        for (name, _) in arrays {
            guard name != "__metadata__" else {
                throw FeatureIOError.invalidArgument(path: path, message: "'__metadata__' is reserved and cannot name a tensor")
            }
            guard seen.insert(name).inserted else {
                throw FeatureIOError.invalidArgument(path: path, message: "tensor name '\(name)' is used twice")
            }
        }
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { jsonString($0.key) + ":" + jsonString($0.value) }
            entries.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for (name, array) in arrays {
            let size = array.count * array.dtype.byteCount
            entries.append(
                jsonString(name) + ":{\"dtype\":\"\(array.dtype.safetensorsName)\",\"shape\":["
                    + array.shape.map(String.init).joined(separator: ",")
                    + "],\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        header += [UInt8](repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        var length = Bytes()
        length.u64(UInt64(header.count))
        try sink.write(length.bytes)
        try sink.write(header)
        for (name, array) in arrays {
            try ElementEncoder.write(array.values, as: array.dtype, path: "\(path) (tensor '\(name)')", into: &sink)
        }
    }
}
