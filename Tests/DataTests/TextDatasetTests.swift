import Foundation
import Testing
@testable import Data

/// Text datasets: CSV/TSV/JSON Lines parsing, column and task detection, splits,
/// fingerprints and the errors for malformed files.
struct TextDatasetTests {
    func file(_ dir: URL, _ name: String, _ text: String) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try write(Data(text.utf8), to: url)
        return url
    }

    func texts(_ d: any Dataset) throws -> [[String]] { try (0..<d.count).map { try d.sample(at: $0).texts } }

    func error(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    @Test("CSV: quoting, doubled quotes, embedded newlines (LF and CRLF), BOM, string classes")
    func csvQuoting() throws {
        let dir = try makeTempDir(); defer { cleanup(dir) }
        let url = try file(
            dir, "data.csv", "\u{FEFF}text,label\r\n\"Hello, world\",pos\r\n\"She said \"\"hi\"\"\",neg\r\n\"two\r\nlines\",pos\r\nplain,neu\r\n\r\n")
        #expect(try DatasetLoader.detect(url) == .text)
        let d = try DatasetLoader.open(url, split: nil)
        #expect(d.kind == .text)
        #expect(try texts(d) == [["Hello, world"], ["She said \"hi\""], ["two\r\nlines"], ["plain"]])
        #expect(d.classNames == ["neg", "neu", "pos"])
        #expect(try d.labels() == [2, 0, 2, 1])
        let s = try d.sample(at: 2)
        #expect(s.values.isEmpty && s.targets == nil)
        #expect(s.source?.hasSuffix("data.csv#line4") == true)
    }

    @Test("TSV with a text pair and integer class ids")
    func tsvPairs() throws {
        let dir = try makeTempDir(); defer { cleanup(dir) }
        let url = try file(dir, "pairs.tsv", "sentence1\tsentence2\tlabel\nA man sleeps.\tA person rests.\t0\nA cat\tNo cat\t2\n")
        let d = try TextDataset(url: url)
        #expect(d.textColumns == ["sentence1", "sentence2"])
        #expect(try texts(d) == [["A man sleeps.", "A person rests."], ["A cat", "No cat"]])
        #expect(d.classNames == ["0", "1", "2"])
        #expect(try d.labels() == [0, 2])
    }

    @Test("JSON Lines: class names, float regression, list multi-label, CRLF lines, extra keys")
    func jsonLines() throws {
        let dir = try makeTempDir(); defer { cleanup(dir) }
        let cls = try TextDataset(
            url: file(dir, "c.jsonl", "{\"text\": \"good film\", \"label\": \"pos\", \"id\": 1}\r\n\n{\"text\": \"bad\", \"label\": \"neg\"}\n"))
        #expect(cls.task == .classification && cls.classNames == ["neg", "pos"])
        #expect(try cls.labels() == [1, 0])
        let reg = try TextDataset(url: file(dir, "r.jsonl", "{\"sentence\": \"a\", \"score\": 0.5}\n{\"sentence\": \"b\", \"score\": 3}\n"))
        #expect(reg.task == .regression)
        #expect(try reg.sample(at: 0).targets == [0.5])
        #expect(try reg.sample(at: 1).targets == [3])
        #expect(try reg.label(at: 0) == nil)
        let multi = try TextDataset(
            url: file(
                dir, "m.jsonl",
                "{\"text\": \"x\", \"labels\": [\"b\", \"a\"]}\n{\"text\": \"y\", \"labels\": []}\n{\"text\": \"z\", \"labels\": [\"c\"]}\n"))
        #expect(multi.task == .multiLabel && multi.classNames == ["a", "b", "c"])
        #expect(try multi.sample(at: 0).targets == [1, 1, 0])
        #expect(try multi.sample(at: 1).targets == [0, 0, 0])
        #expect(try multi.sample(at: 2).targets == [0, 0, 1])
    }

    @Test("CSV: several 0/1 label columns are a multi-label target; explicit columns and task")
    func multiLabelColumns() throws {
        let dir = try makeTempDir(); defer { cleanup(dir) }
        let url = try file(dir, "m.csv", "comment,toxic,spam\nhello,0,1\nyou,1,1\n")
        let d = try TextDataset(url: url, textColumns: ["comment"])
        #expect(d.task == .multiLabel && d.classNames == ["toxic", "spam"])
        #expect(try d.sample(at: 0).targets == [0, 1])
        let asRegression = try TextDataset(url: file(dir, "r.csv", "text,label\na,1\nb,2\n"), task: .regression)
        #expect(try asRegression.sample(at: 1).targets == [2])
    }

    @Test("Errors name the file, line and field")
    func errors() throws {
        let dir = try makeTempDir(); defer { cleanup(dir) }
        let unterminated = try file(dir, "u.csv", "text,label\n\"open quote,1\nmore,2\n")
        #expect(error { _ = try TextDataset(url: unterminated) }.contains("u.csv: line 2: expected a closing double quote"))
        let ragged = try file(dir, "r.csv", "text,label\na,1\nb,1,extra\n")
        #expect(error { _ = try TextDataset(url: ragged) }.contains("r.csv: line 3: expected 2 fields like the header, found 3"))
        let empty = try file(dir, "e.csv", "text,label\na,1\n  ,0\n")
        #expect(error { _ = try TextDataset(url: empty) }.contains("e.csv: line 3, field 'text': expected a non-empty text"))
        let noLabel = try file(dir, "n.csv", "text,other\na,1\n")
        #expect(error { _ = try TextDataset(url: noLabel) }.contains("n.csv: columns: expected a label column"))
        let noText = try file(dir, "t.csv", "words,label\na,1\n")
        #expect(error { _ = try TextDataset(url: noText) }.contains("t.csv: columns: expected a text column"))
        let missingKey = try file(dir, "k.jsonl", "{\"text\": \"a\", \"label\": 1}\n{\"label\": 0}\n")
        #expect(error { _ = try TextDataset(url: missingKey) }.contains("k.jsonl: line 2, field 'text': expected a text, found no such field"))
        let badJSON = try file(dir, "b.jsonl", "{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\",\n")
        #expect(error { _ = try TextDataset(url: badJSON) }.contains("b.jsonl: line 2: expected a JSON object, found invalid JSON"))
        let notText = try file(dir, "x.jsonl", "{\"text\": 5, \"label\": 1}\n")
        #expect(error { _ = try TextDataset(url: notText) }.contains("x.jsonl: line 1, field 'text': expected a string, found the number 5.0"))
        let mixedList = try file(dir, "l.jsonl", "{\"text\": \"a\", \"label\": [\"x\"]}\n{\"text\": \"b\", \"label\": \"y\"}\n")
        #expect(error { _ = try TextDataset(url: mixedList) }.contains("l.jsonl: line 2, field 'label': expected a list of labels"))
        let missingLabel = try file(dir, "m.jsonl", "{\"text\": \"a\", \"label\": null}\n")
        #expect(error { _ = try TextDataset(url: missingLabel) }.contains("m.jsonl: line 1, field 'label': expected a label, found an empty value"))
        let quoteAfter = try file(dir, "q.csv", "text,label\n\"a\"b,1\n")
        #expect(
            error { _ = try TextDataset(url: quoteAfter) }.contains(
                "q.csv: line 2: expected a separator or the end of the line after a closing quote"))
        let utf16 = dir.appendingPathComponent("w.csv")
        try write(Data([0xFF, 0xFE, 0x74, 0x00]), to: utf16)
        #expect(error { _ = try TextDataset(url: utf16) }.contains("w.csv: encoding: expected UTF-8 text"))
    }

    @Test("Split files share one class list; seeded splits and fingerprints")
    func splitsAndFingerprints() throws {
        let dir = try makeTempDir(); defer { cleanup(dir) }
        _ = try file(dir, "train.jsonl", (0..<20).map { "{\"text\": \"t\($0)\", \"label\": \"\($0 % 2 == 0 ? "b" : "c")\"}" }.joined(separator: "\n"))
        _ = try file(dir, "test.jsonl", "{\"text\": \"x\", \"label\": \"a\"}\n{\"text\": \"y\", \"label\": \"c\"}\n")
        #expect(try DatasetLoader.detect(dir) == .text)
        #expect(try DatasetLoader.splits(dir) == [.train, .test])
        let test = try DatasetLoader.open(dir, split: .test)
        let train = try DatasetLoader.open(dir, split: .train)
        #expect(test.classNames == ["a", "b", "c"] && train.classNames == ["a", "b", "c"])
        #expect(try test.labels() == [0, 2])
        let plan = SplitPlan(train: 0.8, validation: 0.2, test: 0, seed: 3)
        let a = try DatasetLoader.open(dir, split: .validation, plan: plan)
        let b = try DatasetLoader.open(dir, split: .validation, plan: plan)
        #expect(a.count == 4 && a.fingerprint == b.fingerprint)
        #expect(try texts(a) == texts(b))
        let rest = try DatasetLoader.open(dir, split: .train, plan: plan)
        #expect(Set(try texts(rest).joined()).isDisjoint(with: Set(try texts(a).joined())))
        // The fingerprint follows the content.
        let before = train.fingerprint
        _ = try file(dir, "train.jsonl", "{\"text\": \"changed\", \"label\": \"b\"}\n")
        let changed = try DatasetLoader.open(dir, split: .train)
        #expect(changed.fingerprint != before)
    }

    @Test("A numeric CSV is still a table; a CSV with a text column is text")
    func detection() throws {
        let dir = try makeTempDir(); defer { cleanup(dir) }
        let table = try file(dir, "num.csv", "a,b,label\n1,2,0\n")
        #expect(try DatasetLoader.detect(table) == .csv)
        let text = try file(dir, "txt.csv", "review,label\nfine,1\n")
        #expect(try DatasetLoader.detect(text) == .text)
    }

    @Test("DataLoader batches text samples: texts, labels and targets")
    func batch() throws {
        let dir = try makeTempDir(); defer { cleanup(dir) }
        let d = try TextDataset(
            url: file(dir, "r.jsonl", "{\"text\": \"a\", \"y\": 0.25}\n{\"text\": \"b\", \"y\": 1.5}\n{\"text\": \"c\", \"y\": 2}\n"))
        let loader = DataLoader(dataset: d, batchSize: 2, transform: nil, shuffle: false, seed: 0)
        var batches = [Batch]()
        try loader.forEachBatch { batches.append($0) }
        #expect(batches.map(\.texts) == [[["a"], ["b"]], [["c"]]])
        #expect(batches.map(\.targets) == [[[0.25], [1.5]], [[2]]])
        #expect(batches[0].labels == [-1, -1] && batches[0].shape == [2, 0])
        let pairs = try TextDataset(url: file(dir, "p.tsv", "premise\thypothesis\tlabel\nx\ty\t1\n"))
        #expect(throws: DataError.self) { try DataLoader.collate([try d.sample(at: 0), try pairs.sample(at: 0)], indices: [0, 1]) }
    }
}

/// CSV, TSV and JSON Lines written by Python's csv and json modules (quotes, doubled
/// quotes, separators, LF/CRLF inside fields, BOM, non-ASCII, escapes): TextDataset
/// reads the records Python reads back.
struct TextReferenceTests {
    @Test("records equal Python's csv/json reading", arguments: TextReferenceFixture.files.map(\.name))
    func matchesPython(name: String) throws {
        let entry = try #require(TextReferenceFixture.files.first { $0.name == name })
        let dir = try makeTempDir(); defer { cleanup(dir) }
        let url = dir.appendingPathComponent(name)
        try write(Data(entry.bytes), to: url)
        let d = try TextDataset(url: url)
        #expect(d.count == entry.records.count)
        for (i, record) in entry.records.enumerated() {
            let s = try d.sample(at: i)
            #expect(s.texts == Array(record.prefix(2)), "record \(i)")
            #expect(s.label.map { d.classNames[$0] } == record[2], "record \(i)")
        }
    }
}
