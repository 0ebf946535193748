import Foundation

/// Turns libtorch's message for a model file it cannot load into one line that
/// names the file and what to do (libtorch's own messages span several lines of
/// C++ context and do not say which file or which PyTorch to use).
enum ModelFileErrors {
    /// The libtorch version this build links (the PyTorch to export with).
    static var libtorchVersion: String { TorchRuntime.version }

    static func translate(path: String, kind: String, message: String) -> TorchError {
        let firstLine = message.split(separator: "\n").first.map(String.init) ?? message
        let v = libtorchVersion
        if let op = match(#"Unknown builtin op: ([A-Za-z0-9_:.]+)"#, in: message)
            ?? match(#"Unknown type name '[^']*'|Could not find any similar ops to ([A-Za-z0-9_:.]+)"#, in: message)
        {
            return .incompatibleModel(
                path: path,
                message:
                    "\(kind) uses operator \(op), which libtorch \(v) lacks (saved by a newer PyTorch, or it needs a custom-operator library); re-export it with PyTorch \(v)"
            )
        }
        if let found = match(#"version (\d+), but the maximum supported version for reading is (\d+)"#, in: message) {
            return .incompatibleModel(
                path: path, message: "\(kind) was saved by a newer PyTorch (file format version \(found)); re-export it with PyTorch \(v)")
        }
        if message.contains("constants.pkl") || message.contains("failed finding central directory")
            || message.contains("PytorchStreamReader failed")
        {
            let hint =
                path.hasSuffix(".pt2")
                ? "a .pt2 file is an AOTInductor package: give it format \"aoti\" in the model card"
                : "save it with torch.jit.script/trace + torch.jit.save, or export it as an AOTInductor .pt2 package (docs/HUB.md)"
            return .incompatibleModel(path: path, message: "not a TorchScript archive (\(firstLine)); \(hint)")
        }
        if message.contains("open file failed") || message.contains("No such file") {
            return .incompatibleModel(path: path, message: "cannot open the \(kind) file (\(firstLine))")
        }
        return .incompatibleModel(path: path, message: "cannot load the \(kind) with libtorch \(v): \(firstLine)")
    }

    private static func match(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let m = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text))
        else { return nil }
        for group in 1..<m.numberOfRanges {
            if let r = Range(m.range(at: group), in: text) { return String(text[r]) }
        }
        return nil
    }
}
