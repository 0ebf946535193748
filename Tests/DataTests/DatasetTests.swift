import Foundation
import Testing
import FeatureIO
@testable import Data

@Suite("Dataset readers")
struct DatasetTests {
    // MARK: CIFAR

    func cifarRecords(_ labels: [UInt8], coarse: Bool) -> [UInt8] {
        var out = [UInt8]()
        for (i, l) in labels.enumerated() {
            if coarse { out.append(l / 5) }
            out.append(l)
            out += pattern(3072, seed: i + Int(l))
        }
        return out
    }

    @Test("CIFAR-10 batches: labels and pixels round-trip, splits by file")
    func cifar10() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        try Data(cifarRecords([3, 7], coarse: false)).write(to: dir.appendingPathComponent("data_batch_1.bin"))
        try Data(cifarRecords([1], coarse: false)).write(to: dir.appendingPathComponent("data_batch_2.bin"))
        try Data(cifarRecords([9], coarse: false)).write(to: dir.appendingPathComponent("test_batch.bin"))
        try "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n".write(
            to: dir.appendingPathComponent("batches.meta.txt"), atomically: true, encoding: .utf8)
        #expect(try DatasetLoader.detect(dir) == .cifar10)
        let train = try DatasetLoader.open(dir, split: .train)
        #expect(train.count == 3)
        #expect(train.classNames[3] == "cat")
        let s = try train.sample(at: 1)
        #expect(s.label == 7 && s.shape == [3, 32, 32])
        #expect(s.values == pattern(3072, seed: 1 + 7).map { Float($0) / 255 })
        #expect(try train.sample(at: 2).label == 1)
        #expect(try DatasetLoader.open(dir, split: .test).count == 1)
        #expect(try DatasetLoader.open(dir, split: nil).count == 4)
        #expect(throws: DataError.self) { try DatasetLoader.open(dir, split: .validation) }
    }

    @Test("CIFAR-100 uses the fine label")
    func cifar100() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        try Data(cifarRecords([42, 99], coarse: true)).write(to: dir.appendingPathComponent("train.bin"))
        let d = try DatasetLoader.open(dir, split: .train)
        #expect(try DatasetLoader.detect(dir) == .cifar100)
        #expect(d.classNames.count == 100)
        #expect(try d.sample(at: 0).label == 42 && d.sample(at: 1).label == 99)
        #expect(try d.sample(at: 1).values == pattern(3072, seed: 1 + 99).map { Float($0) / 255 })
    }

    @Test("CIFAR files of the wrong size or with bad labels are clear errors")
    func cifarErrors() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        let url = dir.appendingPathComponent("data_batch_1.bin")
        try Data(cifarRecords([1], coarse: false).dropLast()).write(to: url)
        do { _ = try DatasetLoader.open(dir, split: .train); Issue.record("opened") } catch let e as DataError {
            #expect(e.description.contains("data_batch_1.bin") && e.description.contains("multiple of 3073"))
        }
        try Data(cifarRecords([12], coarse: false)).write(to: url)
        do { _ = try DatasetLoader.open(dir, split: .train); Issue.record("opened") } catch let e as DataError {
            #expect(e.description.contains("label") && e.description.contains("0..<10"))
        }
    }

    // MARK: MNIST

    func idxImages(_ n: Int, rows: Int = 4, cols: Int = 3, magic: UInt32 = 0x803) -> [UInt8] {
        be32(magic) + be32(UInt32(n)) + be32(UInt32(rows)) + be32(UInt32(cols)) + pattern(n * rows * cols, seed: 5)
    }

    func idxLabels(_ labels: [UInt8], magic: UInt32 = 0x801) -> [UInt8] { be32(magic) + be32(UInt32(labels.count)) + labels }

    @Test("MNIST idx, plain and gzip: labels and pixels round-trip", arguments: [false, true])
    func mnist(gz: Bool) throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        let ext = gz ? ".gz" : ""
        func put(_ bytes: [UInt8], _ name: String) throws {
            try (gz ? gzipStored(bytes) : Data(bytes)).write(to: dir.appendingPathComponent(name + ext))
        }
        try put(idxImages(3), "train-images-idx3-ubyte")
        try put(idxLabels([5, 0, 9]), "train-labels-idx1-ubyte")
        try put(idxImages(2), "t10k-images-idx3-ubyte")
        try put(idxLabels([1, 2]), "t10k-labels-idx1-ubyte")
        #expect(try DatasetLoader.detect(dir) == .mnist)
        let train = try DatasetLoader.open(dir, split: .train)
        #expect(train.count == 3)
        let s = try train.sample(at: 2)
        #expect(s.label == 9 && s.shape == [1, 4, 3])
        #expect(s.values == Array(pattern(36, seed: 5)[24..<36]).map { Float($0) / 255 })
        #expect(try DatasetLoader.open(dir, split: .test).sample(at: 1).label == 2)
    }

    @Test("MNIST: wrong magic, size or count are clear errors")
    func mnistErrors() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        let images = dir.appendingPathComponent("train-images-idx3-ubyte")
        let labels = dir.appendingPathComponent("train-labels-idx1-ubyte")
        func expectError(_ fragment: String) {
            do { _ = try MNISTDataset(images: images, labels: labels); Issue.record("opened") } catch let e as DataError {
                #expect(e.description.contains(fragment), "\(e)")
            } catch { Issue.record("\(error)") }
        }
        try Data(idxImages(2, magic: 0x802)).write(to: images)
        try Data(idxLabels([1, 2])).write(to: labels)
        expectError("idx magic")
        try Data(idxImages(2).dropLast()).write(to: images)
        expectError("file size")
        try Data(idxImages(2)).write(to: images)
        try Data(idxLabels([1, 2, 3])).write(to: labels)
        expectError("label count")
        var bad = [UInt8](gzipStored(idxLabels([1, 2])))
        bad[bad.count - 6] ^= 0xFF // CRC
        try Data(bad).write(to: labels)
        expectError("train-labels-idx1-ubyte")
    }

    // MARK: NumPy and CSV

    @Test("NumPy: images.npy + labels.npy, and .npz with x/y")
    func numpy() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        let pixels = pattern(2 * 1 * 2 * 3).map(Double.init)
        try FeatureFile.writeNpy(NumericArray(shape: [2, 1, 2, 3], dtype: .uint8, values: pixels), to: dir.appendingPathComponent("images.npy"))
        try FeatureFile.writeNpy(NumericArray(shape: [2], dtype: .int64, values: [1, 0]), to: dir.appendingPathComponent("labels.npy"))
        #expect(try DatasetLoader.detect(dir) == .numpy)
        let d = try DatasetLoader.open(dir, split: nil)
        #expect(d.kind == .image && d.count == 2 && d.classNames == ["0", "1"])
        let s = try d.sample(at: 1)
        #expect(s.shape == [1, 2, 3] && s.label == 0)
        #expect(s.values == pixels[6..<12].map { Float($0 / 255) })

        let npzDir = try makeTempDir("npz")
        defer { cleanup(npzDir) }
        try FeatureFile.writeNpz(
            [
                ("x", NumericArray(shape: [3, 2], dtype: .float32, values: [1, 2, 3, 4, 5, 6])),
                ("y", NumericArray(shape: [3], dtype: .int64, values: [2, 0, 1])),
            ],
            to: npzDir.appendingPathComponent("train.npz"))
        let t = try DatasetLoader.open(npzDir, split: .train)
        #expect(t.kind == .tabular)
        #expect(try t.sample(at: 2) == Sample(values: [5, 6], shape: [2], label: 1, source: t.sample(at: 2).source))
        try FeatureFile.writeNpy(NumericArray(shape: [3], dtype: .float64, values: [0.5, 1, 2]), to: dir.appendingPathComponent("labels.npy"))
        #expect(throws: DataError.self) { try DatasetLoader.open(dir, split: nil) }
    }

    @Test("CSV: feature columns and a label column; string labels become sorted classes")
    func csv() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        let url = dir.appendingPathComponent("table.csv")
        try "a,label,b\n1.5,cat,2\n3,dog,4\n-1,cat,0\n".write(to: url, atomically: true, encoding: .utf8)
        let d = try DatasetLoader.open(url, split: nil)
        #expect(d.kind == .tabular && d.classNames == ["cat", "dog"] && d.count == 3)
        #expect(try d.sample(at: 1).values == [3, 4] && d.sample(at: 1).label == 1)
        try "a,label\n1,0\nx,1\n".write(to: url, atomically: true, encoding: .utf8)
        do { _ = try DatasetLoader.open(url, split: nil); Issue.record("opened") } catch let e as DataError {
            #expect(e.description.contains("line 3") && e.description.contains("'x'"))
        }
        try "a,b\n1,0\n".write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: DataError.self) { try DatasetLoader.open(url, split: nil) }
    }

    // MARK: ImageFolder

    @Test("ImageFolder: classes sorted, labels by folder, splits from train/val folders")
    func imageFolder() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        try makeImageFolder(dir.appendingPathComponent("train"), classes: ["zebra", "ant", "moth"], perClass: 2)
        try makeImageFolder(dir.appendingPathComponent("val"), classes: ["ant", "zebra"], perClass: 1)
        try write(Data("notes".utf8), to: dir.appendingPathComponent("train/ant/readme.txt"))
        #expect(try DatasetLoader.detect(dir) == .imageFolder)
        #expect(try DatasetLoader.splits(dir) == [.train, .validation])
        let train = try DatasetLoader.open(dir, split: .train)
        #expect(train.classNames == ["ant", "moth", "zebra"])
        #expect(train.count == 6)
        #expect(try (0..<6).map { try train.label(at: $0) } == [0, 0, 1, 1, 2, 2])
        let val = try DatasetLoader.open(dir, split: .validation)
        #expect(val.classNames == ["ant", "moth", "zebra"])
        #expect(try val.sample(at: 1).label == 2)
        let s = try val.sample(at: 0)
        #expect(s.shape == [3, 4, 4] && s.source?.hasSuffix("val/ant/img000.png") == true)
        #expect(throws: DataError.self) { try DatasetLoader.open(dir, split: .test) }
        #expect(try DatasetLoader.open(dir, split: nil).count == 8)
        let plain = try DatasetLoader.open(dir.appendingPathComponent("train"), split: nil)
        #expect(plain.count == 6)
        do { _ = try DatasetLoader.open(dir.appendingPathComponent("train"), split: .train); Issue.record("opened") } catch let e as DataError {
            #expect(e.description.contains("SeededSplit"))
        }
    }

    @Test("ImageFolder mixing gray PNG, RGB JPEG and sizes: RGB samples, uniform batches after Resize")
    func mixedFolder() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        let gray = DecodedImage(width: 6, height: 4, channels: 1, pixels: pattern(24))
        try write(try ImageCodec.encodePNG(gray), to: dir.appendingPathComponent("cat/a.PNG"))
        let rgb = DecodedImage(width: 8, height: 8, channels: 3, pixels: [UInt8](repeating: 200, count: 192))
        try write(try ImageCodec.encodeJPEG(rgb), to: dir.appendingPathComponent("dog/sub/b.jpeg"))
        let d = try DatasetLoader.open(dir, split: nil)
        let s0 = try d.sample(at: 0)
        #expect(s0.shape == [3, 4, 6])
        #expect(Array(s0.values[0..<24]) == Array(s0.values[24..<48])) // gray replicated
        #expect(Array(s0.values[0..<24]) == pattern(24).map { Float($0) / 255 })
        let s1 = try d.sample(at: 1)
        #expect(s1.shape == [3, 8, 8] && s1.label == 1)
        #expect(s1.values.allSatisfy { abs($0 - 200 / 255) < 3 / 255 })
        let loader = DataLoader(dataset: d, batchSize: 2, transform: Compose([Resize(height: 5, width: 5)]), shuffle: false, seed: 0)
        let batch = try loader.makeIterator().nextBatch()
        #expect(batch?.shape == [2, 3, 5, 5] && batch?.labels == [0, 1])
        // Without a resize the batch cannot be stacked: the error names a file.
        let raw = DataLoader(dataset: d, batchSize: 2, transform: nil, shuffle: false, seed: 0)
        do { _ = try raw.makeIterator().nextBatch(); Issue.record("stacked") } catch let e as DataError {
            #expect(e.description.contains("b.jpeg") && e.description.contains("a.PNG"))
        }
    }

    @Test("NumPy N x H x W images get one channel")
    func numpyThreeD() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        try FeatureFile.writeNpz(
            [
                ("images", NumericArray(shape: [2, 2, 2], dtype: .float32, values: [0, 0.5, 1, 0.25, 1, 1, 1, 1])),
                ("labels", NumericArray(shape: [2], dtype: .uint8, values: [0, 3])),
            ],
            to: dir.appendingPathComponent("data.npz"))
        let d = try DatasetLoader.open(dir, split: nil)
        #expect(d.classNames == ["0", "1", "2", "3"])
        #expect(try d.sample(at: 0).shape == [1, 2, 2] && d.sample(at: 0).values == [0, 0.5, 1, 0.25])
        #expect(throws: DataError.self) { try DatasetLoader.open(dir, split: .train) }
    }

    @Test("seeded fallback splits: whole dataset, or validation carved out of train")
    func splitPlan() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        try makeImageFolder(dir, classes: ["a", "b"], perClass: 10, size: 2)
        let plan = SplitPlan(train: 0.6, validation: 0.2, test: 0.2, seed: 3)
        let parts = try [DatasetSplit.train, .validation, .test].map { try DatasetLoader.open(dir, split: $0, plan: plan) }
        #expect(parts.map(\.count) == [12, 4, 4])
        let indices = parts.map { ($0 as? SubsetDataset)?.indices ?? [] }
        #expect(indices.flatMap { $0 }.sorted() == Array(0..<20))
        #expect(Set(parts.map(\.fingerprint)).count == 3)
        #expect(try DatasetLoader.open(dir, split: .validation, plan: plan).fingerprint == parts[1].fingerprint)

        let cdir = try makeTempDir("cifarplan")
        defer { cleanup(cdir) }
        var records = [UInt8]()
        for i in 0..<20 { records.append(UInt8(i % 2)); records += [UInt8](repeating: UInt8(i), count: 3072) }
        try Data(records).write(to: cdir.appendingPathComponent("data_batch_1.bin"))
        try Data(records.prefix(3073 * 3)).write(to: cdir.appendingPathComponent("test_batch.bin"))
        let train = try DatasetLoader.open(cdir, split: .train, plan: SplitPlan(train: 0.9, validation: 0.1, test: 0, seed: 1))
        let val = try DatasetLoader.open(cdir, split: .validation, plan: SplitPlan(train: 0.9, validation: 0.1, test: 0, seed: 1))
        let test = try DatasetLoader.open(cdir, split: .test, plan: SplitPlan(train: 0.9, validation: 0.1, test: 0, seed: 1))
        #expect(train.count == 18 && val.count == 2 && test.count == 3)
        #expect(try (0..<2).map { try val.label(at: $0) }.sorted { ($0 ?? 0) < ($1 ?? 0) } == [0, 1])
    }

    @Test("a corrupt image in a folder is an error naming the file")
    func corruptInFolder() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        try makeImageFolder(dir, classes: ["a"], perClass: 1)
        try write(Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]), to: dir.appendingPathComponent("a/zz.png"))
        let d = try DatasetLoader.open(dir, split: nil)
        do { _ = try d.sample(at: 1); Issue.record("decoded") } catch let e as DataError {
            #expect(e.description.contains("a/zz.png"))
        }
    }

    @Test("an unknown layout is a clear error")
    func unknown() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        try Data("x".utf8).write(to: dir.appendingPathComponent("what.txt"))
        #expect(throws: DataError.self) { try DatasetLoader.open(dir, split: nil) }
        #expect(throws: DataError.self) { try DatasetLoader.open(dir.appendingPathComponent("missing"), split: nil) }
    }

    // MARK: Fingerprints

    @Test("fingerprints change when one pixel or one label changes, and are stable otherwise")
    func fingerprints() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        try makeImageFolder(dir, classes: ["a", "b"], perClass: 2)
        let base = try DatasetLoader.open(dir, split: nil).fingerprint
        #expect(base.count == 64)
        #expect(try DatasetLoader.open(dir, split: nil).fingerprint == base)
        // One pixel.
        var pixels = pattern(48, seed: 1)
        pixels[5] &+= 1
        let file = dir.appendingPathComponent("a/img001.png")
        try ImageCodec.encodePNG(DecodedImage(width: 4, height: 4, channels: 3, pixels: pixels)).write(to: file)
        let onePixel = try DatasetLoader.open(dir, split: nil).fingerprint
        #expect(onePixel != base)
        // One label: move the file to the other class.
        try FileManager.default.moveItem(at: file, to: dir.appendingPathComponent("b/img099.png"))
        #expect(try DatasetLoader.open(dir, split: nil).fingerprint != onePixel)

        // Binary formats: one label byte.
        let cdir = try makeTempDir("cifarfp")
        defer { cleanup(cdir) }
        var records = [UInt8](repeating: 0, count: 3073 * 2)
        records[3073] = 4
        let url = cdir.appendingPathComponent("test_batch.bin")
        try Data(records).write(to: url)
        let f1 = try DatasetLoader.open(cdir, split: .test).fingerprint
        records[3073] = 5
        try Data(records).write(to: url)
        let f2 = try DatasetLoader.open(cdir, split: .test).fingerprint
        #expect(f1 != f2)
        // Subsets include their indices.
        let d = try DatasetLoader.open(cdir, split: .test)
        #expect(SubsetDataset(base: d, indices: [0]).fingerprint != SubsetDataset(base: d, indices: [1]).fingerprint)
    }
}
