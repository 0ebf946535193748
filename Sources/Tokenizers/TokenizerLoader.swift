import Foundation

extension Tokenizer {
    /// Opens a tokeniser: a `tokenizer.json` file, or a folder holding one, or else a
    /// folder with BERT's `vocab.txt` (options from `tokenizer_config.json`).
    public static func load(_ url: URL) throws -> Tokenizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw TokenizerError.cannotRead(path: url.path, reason: "no such file or directory")
        }
        if !isDirectory.boolValue {
            return url.lastPathComponent == "vocab.txt"
                ? try fromVocabulary(folder: url.deletingLastPathComponent())
                : try fromJSON(url)
        }
        let json = url.appendingPathComponent("tokenizer.json")
        if FileManager.default.fileExists(atPath: json.path) { return try fromJSON(json) }
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("vocab.txt").path) {
            return try fromVocabulary(folder: url)
        }
        throw TokenizerError.cannotRead(path: url.path, reason: "expected tokenizer.json or vocab.txt in the folder")
    }

    static func readFile(_ url: URL) throws -> Data {
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        if let size = (attributes?[.size] as? NSNumber)?.intValue, size > TokenizerLimits.maxFileBytes {
            throw TokenizerError.invalidField(
                path: url.path, field: "file size", expected: "at most \(TokenizerLimits.maxFileBytes) bytes", found: "\(size) bytes")
        }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw TokenizerError.cannotRead(path: url.path, reason: error.localizedDescription)
        }
    }

    /// Parses a `tokenizer.json` file.
    public static func fromJSON(_ url: URL) throws -> Tokenizer {
        let root = try JSONNode.parse(try readFile(url), file: url.path)
        return try TokenizerJSON(file: url.path).tokenizer(root)
    }

    /// BERT from `vocab.txt` (one token per line, id = line number) and, when present,
    /// `tokenizer_config.json` (`do_lower_case`, `tokenize_chinese_chars`,
    /// `strip_accents`, the special tokens), as transformers converts it.
    public static func fromVocabulary(folder: URL) throws -> Tokenizer {
        let vocabURL = folder.appendingPathComponent("vocab.txt")
        guard let text = String(data: try readFile(vocabURL), encoding: .utf8) else {
            throw TokenizerError.invalidField(path: vocabURL.path, field: "contents", expected: "UTF-8 text", found: "invalid UTF-8")
        }
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        guard lines.count <= TokenizerLimits.maxEntries else {
            throw TokenizerError.invalidField(
                path: vocabURL.path, field: "lines", expected: "at most \(TokenizerLimits.maxEntries)", found: "\(lines.count)")
        }
        var vocabulary = [String: Int]()
        var byteVocabulary = [[UInt8]: Int]()
        for (i, line) in lines.enumerated() {
            vocabulary[line] = i
            byteVocabulary[Array(line.utf8)] = i // byte-exact, as transformers' dict
        }

        var config: JSONNode?
        let configURL = folder.appendingPathComponent("tokenizer_config.json")
        if FileManager.default.fileExists(atPath: configURL.path) {
            config = try JSONNode.parse(try readFile(configURL), file: configURL.path)
            _ = try config!.object()
        }
        func flag(_ key: String, _ value: Bool) throws -> Bool { try config?.bool(key, default: value) ?? value }
        func name(_ key: String, _ value: String) throws -> String {
            guard let node = try config?.optional(key) else { return value }
            if let s = node.value as? String { return s }
            return try node.string("content") // AddedToken objects of older configs
        }
        let lowercase = try flag("do_lower_case", true)
        let stripAccents = try config?.optional("strip_accents")?.bool()
        let normalizer = BertNormalizer(
            cleanText: true, handleChineseChars: try flag("tokenize_chinese_chars", true),
            stripAccents: stripAccents, lowercase: lowercase)
        let unk = try name("unk_token", "[UNK]"), cls = try name("cls_token", "[CLS]"), sep = try name("sep_token", "[SEP]")
        let pad = try name("pad_token", "[PAD]"), mask = try name("mask_token", "[MASK]")
        var added = [AddedToken]()
        for t in [pad, unk, cls, sep, mask] {
            if let id = byteVocabulary[Array(t.utf8)], !added.contains(where: { $0.content == t }) {
                added.append(AddedToken(content: t, id: id, special: true))
            }
        }
        added.sort { $0.id < $1.id }
        guard let clsId = byteVocabulary[Array(cls.utf8)], let sepId = byteVocabulary[Array(sep.utf8)] else {
            throw TokenizerError.invalidField(
                path: vocabURL.path, field: "tokens", expected: "the special tokens \(cls) and \(sep)", found: "a vocabulary without them")
        }
        let model: WordPiece
        do {
            model = try WordPiece(vocabulary: vocabulary, unknownToken: unk, byteVocabulary: byteVocabulary)
        } catch {
            throw TokenizerError.invalidField(
                path: vocabURL.path, field: "tokens", expected: "the unknown token \(unk)", found: "a vocabulary without it")
        }
        return Tokenizer(
            model: model, normalizer: normalizer, preTokenizer: BertPreTokenizer(),
            postProcessor: BertProcessing(cls: clsId, sep: sepId), addedTokens: added)
    }
}

/// Reads the components of a `tokenizer.json`; every error names the file and the
/// JSON path, and unsupported components list what is supported.
struct TokenizerJSON {
    let file: String

    static let normalizers = [
        "BertNormalizer", "NFD", "NFKD", "NFC", "NFKC", "Lowercase", "StripAccents", "Strip",
        "Replace", "Prepend", "Precompiled", "Nmt", "Sequence",
    ]
    static let preTokenizers = [
        "BertPreTokenizer", "ByteLevel", "Whitespace", "WhitespaceSplit", "Metaspace",
        "Punctuation", "Digits", "Split", "Sequence",
    ]
    static let postProcessors = ["BertProcessing", "RobertaProcessing", "TemplateProcessing", "ByteLevel", "Sequence"]
    static let models = ["WordPiece", "BPE", "Unigram"]

    func unsupported(_ node: JSONNode, _ found: String, _ supported: [String]) -> TokenizerError {
        .unsupported(path: file, field: node.path + ".type", found: found, supported: supported)
    }

    func tokenizer(_ root: JSONNode) throws -> Tokenizer {
        let normalizer = try root.optional("normalizer").map(normalizer)
        let preTokenizer = try root.optional("pre_tokenizer").map(preTokenizer)
        let addedTokens = try (root.optional("added_tokens")?.array() ?? []).map(addedToken)
        let model = try model(root.required("model"), addedIds: Set(addedTokens.map(\.id)))
        let postProcessor = try root.optional("post_processor").map(postProcessor)
        let maxId = model.vocabulary.count + addedTokens.count + 1_000_000
        for t in addedTokens where t.id > maxId {
            throw TokenizerError.invalidField(
                path: file, field: "$.added_tokens", expected: "ids near the vocabulary's", found: "\(t.id) for '\(t.content)'")
        }
        return Tokenizer(
            model: model, normalizer: normalizer, preTokenizer: preTokenizer, postProcessor: postProcessor,
            addedTokens: addedTokens, truncation: try root.optional("truncation").map(truncation),
            padding: try root.optional("padding").map(padding))
    }

    func addedToken(_ n: JSONNode) throws -> AddedToken {
        AddedToken(
            content: try n.string("content"), id: try n.required("id").int(max: TokenizerLimits.maxEntries * 2),
            special: try n.bool("special", default: false), lstrip: try n.bool("lstrip", default: false),
            rstrip: try n.bool("rstrip", default: false), normalized: try n.bool("normalized", default: true),
            singleWord: try n.bool("single_word", default: false))
    }

    func pattern(_ n: JSONNode) throws -> TextPattern {
        if let s = try n.optionalString("String") { return .literal(Array(s.unicodeScalars)) }
        if let r = try n.optionalString("Regex") {
            do {
                return .regex(try NSRegularExpression(pattern: TextPattern.onigurumaToICU(r)))
            } catch {
                throw TokenizerError.invalidField(path: file, field: n.path + ".Regex", expected: "a regular expression", found: "'\(r)'")
            }
        }
        throw n.fail("{\"String\": ...} or {\"Regex\": ...}")
    }

    func behavior(_ n: JSONNode, default value: SplitBehavior) throws -> SplitBehavior {
        guard let b = try n.optional("behavior") else { return value }
        let s = try b.string()
        guard let v = SplitBehavior(rawValue: s) else {
            throw TokenizerError.unsupported(
                path: file, field: b.path, found: s, supported: ["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"])
        }
        return v
    }

    func normalizer(_ n: JSONNode) throws -> any TextNormalizer {
        let type = try n.type()
        switch type {
        case "BertNormalizer":
            return BertNormalizer(
                cleanText: try n.bool("clean_text", default: true), handleChineseChars: try n.bool("handle_chinese_chars", default: true),
                stripAccents: try n.optional("strip_accents")?.bool(), lowercase: try n.bool("lowercase", default: true))
        case "NFD", "NFKD", "NFC", "NFKC": return UnicodeNormalizer(form: UnicodeNormalizer.Form(rawValue: type)!)
        case "Lowercase": return Lowercase()
        case "Nmt": return NmtNormalizer()
        case "StripAccents": return StripAccents()
        case "Strip": return Strip(left: try n.bool("strip_left", default: true), right: try n.bool("strip_right", default: true))
        case "Replace": return Replace(pattern: try pattern(n.required("pattern")), content: try n.string("content"))
        case "Prepend": return Prepend(try n.string("prepend"))
        case "Precompiled":
            guard let node = try n.optional("precompiled_charsmap") else { return NormalizerSequence([]) }
            let encoded = try node.string()
            guard let data = Data(base64Encoded: encoded) else { throw node.fail("base64 bytes") }
            return try PrecompiledCharsmap(bytes: [UInt8](data), file: file, field: node.path)
        case "Sequence": return NormalizerSequence(try n.required("normalizers").array().map(normalizer))
        default: throw unsupported(n, type, Self.normalizers)
        }
    }

    func preTokenizer(_ n: JSONNode) throws -> any PreTokenizer {
        let type = try n.type()
        switch type {
        case "BertPreTokenizer": return BertPreTokenizer()
        case "ByteLevel":
            return ByteLevelPreTokenizer(
                addPrefixSpace: try n.bool("add_prefix_space", default: true), useRegex: try n.bool("use_regex", default: true))
        case "Whitespace": return WhitespacePreTokenizer()
        case "WhitespaceSplit": return WhitespaceSplit()
        case "Metaspace":
            let r = try n.optional("replacement")?.string() ?? "\u{2581}"
            guard r.unicodeScalars.count == 1, let replacement = r.unicodeScalars.first else {
                throw TokenizerError.invalidField(path: file, field: n.path + ".replacement", expected: "one character", found: "'\(r)'")
            }
            var scheme = Metaspace.PrependScheme.always
            if let s = try n.optional("prepend_scheme") {
                let name = try s.string()
                guard let v = Metaspace.PrependScheme(rawValue: name) else {
                    throw TokenizerError.unsupported(path: file, field: s.path, found: name, supported: ["always", "first", "never"])
                }
                scheme = v
            } else if let legacy = try n.optional("add_prefix_space") {
                scheme = try legacy.bool() ? .always : .never
            }
            return Metaspace(replacement: replacement, prependScheme: scheme, split: try n.bool("split", default: true))
        case "Punctuation": return PunctuationPreTokenizer(behavior: try behavior(n, default: .isolated))
        case "Digits": return DigitsPreTokenizer(individualDigits: try n.bool("individual_digits", default: false))
        case "Split":
            return SplitPreTokenizer(
                pattern: try pattern(n.required("pattern")), behavior: try behavior(n, default: .removed),
                invert: try n.bool("invert", default: false))
        case "Sequence": return PreTokenizerSequence(try n.required("pretokenizers").array().map(preTokenizer))
        default: throw unsupported(n, type, Self.preTokenizers)
        }
    }

    /// `["token", id]` pairs of Bert/RobertaProcessing.
    func specialPair(_ n: JSONNode) throws -> Int {
        let a = try n.array()
        guard a.count == 2 else { throw n.fail("[token, id]") }
        return try a[1].int(max: TokenizerLimits.maxEntries * 2)
    }

    func postProcessor(_ n: JSONNode) throws -> any PostProcessor {
        let type = try n.type()
        switch type {
        case "BertProcessing": return BertProcessing(cls: try specialPair(n.required("cls")), sep: try specialPair(n.required("sep")))
        case "RobertaProcessing": return RobertaProcessing(cls: try specialPair(n.required("cls")), sep: try specialPair(n.required("sep")))
        case "ByteLevel": return DefaultPostProcessor()
        case "TemplateProcessing":
            var specials = [String: [Int]]()
            if let table = try n.optional("special_tokens") {
                for (key, _) in try table.object() {
                    let entry = try table.required(key)
                    specials[key] = try entry.required("ids").array().map { try $0.int(max: TokenizerLimits.maxEntries * 2) }
                }
            }
            func template(_ key: String) throws -> [TemplateProcessing.Piece] {
                try n.required(key).array().map { p in
                    if let s = try p.optional("SpecialToken") {
                        let name = try s.string("id")
                        guard let ids = specials[name] else {
                            throw TokenizerError.invalidField(
                                path: file, field: s.path + ".id", expected: "a key of special_tokens", found: "'\(name)'")
                        }
                        return .special(ids: ids, typeId: try s.required("type_id").int(max: 1 << 16))
                    }
                    if let s = try p.optional("Sequence") {
                        let id = try s.string("id")
                        guard id == "A" || id == "B" else {
                            throw TokenizerError.invalidField(path: file, field: s.path + ".id", expected: "A or B", found: "'\(id)'")
                        }
                        return .sequence(index: id == "A" ? 0 : 1, typeId: try s.required("type_id").int(max: 1 << 16))
                    }
                    throw p.fail("{\"SpecialToken\": ...} or {\"Sequence\": ...}")
                }
            }
            return TemplateProcessing(single: try template("single"), pair: try template("pair"))
        case "Sequence":
            // ByteLevel only trims offsets; at most one processor may add tokens.
            let parts = try n.required("processors").array()
            let real = try parts.filter { try $0.type() != "ByteLevel" }
            guard real.count <= 1 else {
                throw TokenizerError.unsupported(
                    path: file, field: n.path + ".processors", found: "\(real.count) token-adding processors",
                    supported: ["ByteLevel processors plus at most one other"])
            }
            return try real.first.map(postProcessor) ?? DefaultPostProcessor()
        default: throw unsupported(n, type, Self.postProcessors)
        }
    }

    func model(_ n: JSONNode, addedIds: Set<Int>) throws -> any TokenizationModel {
        let type: String
        if let t = try n.optionalString("type") {
            type = t
        } else if try n.optional("merges") != nil {
            type = "BPE"
        } else if try n.optional("vocab")?.value is [Any] {
            type = "Unigram"
        } else {
            type = "WordPiece"
        }
        func tokenLength(_ s: String, _ node: JSONNode) throws {
            if s.unicodeScalars.count > TokenizerLimits.maxTokenLength {
                throw node.fail("a token of at most \(TokenizerLimits.maxTokenLength) characters")
            }
        }
        func vocabulary() throws -> [String: Int] {
            let node = try n.required("vocab")
            let o = try node.object()
            guard o.count <= TokenizerLimits.maxEntries else { throw node.fail("at most \(TokenizerLimits.maxEntries) entries") }
            var v = [String: Int]()
            v.reserveCapacity(o.count)
            for (k, value) in o {
                let child = JSONNode(value: value, path: node.path + "[\"\(k)\"]", file: file)
                try tokenLength(k, child)
                v[k] = try child.int(max: TokenizerLimits.maxEntries * 2)
            }
            // Foundation's JSON objects key by String, whose equality is canonical
            // equivalence: two tokens such as "é" and "e\u{301}" would silently become
            // one (with the wrong id). Their ids then go missing: refuse rather than
            // encode wrongly.
            let ids = Set(v.values)
            if let top = ids.max(), top + 1 > ids.count {
                let missing = (0...top).lazy.filter { !ids.contains($0) && !addedIds.contains($0) }.prefix(3).map(String.init)
                if !missing.isEmpty {
                    throw TokenizerError.unsupported(
                        path: file, field: node.path,
                        found: "ids missing from the vocabulary (" + missing.joined(separator: ", ")
                            + "), as when two keys are canonically equivalent Unicode",
                        supported: ["vocabularies whose keys differ after Unicode canonical equivalence"])
                }
            }
            return v
        }
        switch type {
        case "WordPiece":
            let unk = try n.optionalString("unk_token") ?? "[UNK]"
            let v = try vocabulary()
            guard v[unk] != nil else {
                throw TokenizerError.invalidField(path: file, field: n.path + ".unk_token", expected: "a token of the vocabulary", found: "'\(unk)'")
            }
            return try WordPiece(
                vocabulary: v, unknownToken: unk, continuingSubwordPrefix: try n.optionalString("continuing_subword_prefix") ?? "##",
                maxInputCharsPerWord: try n.optional("max_input_chars_per_word")?.int() ?? 100)
        case "BPE":
            let v = try vocabulary()
            let merges: [(String, String)] = try n.required("merges").array().map { m in
                if let s = m.value as? String {
                    guard let space = s.firstIndex(of: " ") else { throw m.fail("\"left right\"") }
                    return (String(s[..<space]), String(s[s.index(after: space)...]))
                }
                let pair = try m.array()
                guard pair.count == 2 else { throw m.fail("[left, right]") }
                return (try pair[0].string(), try pair[1].string())
            }
            if let d = try n.optional("dropout") {
                let p = try d.double()
                guard (0...1).contains(p) else { throw d.fail("a probability in 0...1") }
            }
            return try BPE(
                vocabulary: v, merges: merges, unknownToken: try n.optionalString("unk_token"),
                continuingSubwordPrefix: try n.optionalString("continuing_subword_prefix"),
                endOfWordSuffix: try n.optionalString("end_of_word_suffix"),
                fuseUnknown: try n.bool("fuse_unk", default: false), byteFallback: try n.bool("byte_fallback", default: false),
                ignoreMerges: try n.bool("ignore_merges", default: false), file: file, field: n.path + ".merges")
        case "Unigram":
            let pieces: [(String, Double)] = try n.required("vocab").array().map { e in
                let pair = try e.array()
                guard pair.count == 2 else { throw e.fail("[piece, score]") }
                let s = try pair[0].string()
                try tokenLength(s, pair[0])
                return (s, try pair[1].double())
            }
            let unk = try n.optional("unk_id")?.int(max: TokenizerLimits.maxEntries)
            if let unk, unk >= pieces.count {
                throw TokenizerError.invalidField(path: file, field: n.path + ".unk_id", expected: "an index below \(pieces.count)", found: "\(unk)")
            }
            return try Unigram(pieces: pieces, unknownId: unk, byteFallback: try n.bool("byte_fallback", default: false))
        default:
            throw unsupported(n, type, Self.models)
        }
    }

    func truncation(_ n: JSONNode) throws -> Truncation {
        let s = try n.optionalString("strategy") ?? "LongestFirst"
        guard let strategy = Truncation.Strategy(rawValue: s) else {
            throw TokenizerError.unsupported(
                path: file, field: n.path + ".strategy", found: s, supported: ["LongestFirst", "OnlyFirst", "OnlySecond"])
        }
        let d = try n.optionalString("direction") ?? "Right"
        guard let direction = Truncation.Direction(rawValue: d) else {
            throw TokenizerError.unsupported(path: file, field: n.path + ".direction", found: d, supported: ["Right", "Left"])
        }
        return Truncation(maxLength: try n.required("max_length").int(), strategy: strategy, direction: direction)
    }

    func padding(_ n: JSONNode) throws -> Padding {
        let strategy = try n.required("strategy")
        let length: Padding.Length
        if let s = strategy.value as? String, s == "BatchLongest" {
            length = .longest
        } else if let fixed = try? strategy.required("Fixed") {
            length = .fixed(try fixed.int())
        } else {
            throw strategy.fail("\"BatchLongest\" or {\"Fixed\": n}")
        }
        let d = try n.optionalString("direction") ?? "Right"
        guard let direction = Padding.Direction(rawValue: d) else {
            throw TokenizerError.unsupported(path: file, field: n.path + ".direction", found: d, supported: ["Right", "Left"])
        }
        return Padding(
            length: length, padId: try n.optional("pad_id")?.int(max: TokenizerLimits.maxEntries * 2) ?? 0,
            padTypeId: try n.optional("pad_type_id")?.int(max: 1 << 16) ?? 0,
            padToken: try n.optionalString("pad_token") ?? "[PAD]",
            multipleOf: try n.optional("pad_to_multiple_of")?.int(), direction: direction)
    }
}
