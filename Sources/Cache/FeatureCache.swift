import FeatureIO
import Foundation
import GRDB
import Support

/// Problems with the cache database or its files.
package enum CacheError: Error, CustomStringConvertible, Sendable {
    case database(path: String, message: String)
    case cannotCreate(path: String, message: String)

    package var description: String {
        switch self {
        case let .database(path, message): return "\(path): cache database: \(message)"
        case let .cannotCreate(path, message): return "\(path): cannot create the cache directory: \(message)"
        }
    }
}

/// A cached model's features on disk, checked against their recorded checksums.
package struct CachedFeatures: Sendable, Equatable {
    package var key: String
    package var model: String
    package var featuresURL: URL
    package var probabilitiesURL: URL?
    package var rows: Int
    package var columns: Int
    package var created: Date
}

/// The outcome of a lookup.
package enum CacheLookup: Sendable, Equatable {
    case hit(CachedFeatures)
    case miss
    /// An entry whose files were missing, truncated or changed: it has been deleted
    /// (row and files) and the reason is given, so the caller re-extracts.
    case invalidated(reason: String)
}

/// Extracted features keyed by what produced them, in an SQLite database
/// (`cache.sqlite`) beside a `features/` directory.
///
/// Atomicity: feature files are written atomically (temporary file, then rename)
/// before their row is inserted, in one transaction per model, so a process killed
/// at any point leaves either no row or a row whose files are complete. A row is
/// trusted only after its files' sizes and SHA-256 match; otherwise row and files
/// are deleted. Files without a row (a kill between write and insert) are removed
/// by `removeOrphans()` once they are an hour old.
///
/// `Sendable`: GRDB's `DatabaseQueue` serialises access; the rest is immutable.
package final class FeatureCache: Sendable {
    /// Bumped when the stored layout or the meaning of a key changes; part of every key,
    /// so entries of another version are never hit.
    package static let formatVersion = 1

    package let directory: URL
    let queue: DatabaseQueue

    package var databaseURL: URL { directory.appendingPathComponent("cache.sqlite") }
    var filesDirectory: URL { directory.appendingPathComponent("features") }

    /// `$HUBMINER_CACHE_DIR`, else `$XDG_CACHE_HOME/hubminer`, else `~/.cache/hubminer`.
    package static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        CacheDirectory.default(environment: environment)
    }

    /// Opens (creating and migrating) the cache in `directory`.
    package init(directory: URL) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("features"), withIntermediateDirectories: true)
        } catch {
            throw CacheError.cannotCreate(path: directory.path, message: error.localizedDescription)
        }
        let path = directory.appendingPathComponent("cache.sqlite").path
        do {
            var configuration = Configuration()
            // Several hubminer processes may share a cache: wait for the other's write.
            configuration.busyMode = .timeout(30)
            queue = try DatabaseQueue(path: path, configuration: configuration)
            // BEGIN IMMEDIATE takes the write lock before the schema is looked at, so
            // two processes opening a fresh cache cannot both see it empty and both
            // create it (GRDB's migrator reads the applied migrations outside its
            // write transaction: "table meta already exists").
            try queue.inTransaction(.immediate) { db in
                try Self.setUpSchema(db)
                return .commit
            }
        } catch {
            throw CacheError.database(path: path, message: "\(error)")
        }
    }

    /// Creates the schema unless it is there, inside the caller's write transaction.
    /// `grdb_migrations` records "v1" as GRDB's migrator would, so caches created by
    /// earlier versions (through the migrator) and by this one look the same; the
    /// `meta` table also holds the format version for readers without GRDB.
    static func setUpSchema(_ db: Database) throws {
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
        if try db.tableExists("meta") { return }
        try db.create(table: "meta") { t in
            t.primaryKey("name", .text)
            t.column("value", .text).notNull()
        }
        try db.execute(sql: "INSERT INTO meta(name, value) VALUES ('format_version', ?)", arguments: ["\(formatVersion)"])
        try db.create(table: "entry") { t in
            t.primaryKey("key", .text)
            t.column("model", .text).notNull()
            t.column("features_path", .text).notNull()
            t.column("features_size", .integer).notNull()
            t.column("features_sha256", .text).notNull()
            t.column("probs_path", .text)
            t.column("probs_size", .integer)
            t.column("probs_sha256", .text)
            t.column("rows", .integer).notNull()
            t.column("columns", .integer).notNull()
            t.column("created", .datetime).notNull()
        }
        try db.create(index: "entry_model", on: "entry", columns: ["model"])
        try db.execute(sql: "INSERT OR IGNORE INTO grdb_migrations(identifier) VALUES ('v1')")
    }

    /// The cache key: SHA-256 over every input that changes the features.
    package static func key(modelDigest: String, datasetFingerprint: String, representation: String, transform: String) -> String {
        let text = [
            "hubminer-cache-v\(formatVersion)", "model=\(modelDigest)", "data=\(datasetFingerprint)",
            "representation=\(representation)", "transform=\(transform)",
        ].joined(separator: "\n")
        return SHA256.hex(text)
    }

    /// The entry for `key` if its files are intact; an entry that fails the check is removed.
    package func lookup(key: String) throws -> CacheLookup {
        let row = try read { db in try Row.fetchOne(db, sql: "SELECT * FROM entry WHERE key = ?", arguments: [key]) }
        guard let row else { return .miss }
        let featuresPath: String = row["features_path"]
        let probsPath: String? = row["probs_path"]
        var problem = verify(relative: featuresPath, size: row["features_size"], sha256: row["features_sha256"])
        if problem == nil, let probsPath {
            problem = verify(relative: probsPath, size: row["probs_size"] ?? -1, sha256: row["probs_sha256"] ?? "")
        }
        if let problem {
            try remove(key: key)
            return .invalidated(reason: problem)
        }
        return .hit(
            CachedFeatures(
                key: key, model: row["model"], featuresURL: url(featuresPath),
                probabilitiesURL: probsPath.map(url), rows: row["rows"], columns: row["columns"],
                created: row["created"]))
    }

    /// Writes the files atomically, then records them. Replaces any entry with this key.
    @discardableResult
    package func store(key: String, model: String, features: NumericArray, probabilities: NumericArray?) throws -> CachedFeatures {
        guard features.shape.count == 2 else {
            throw CacheError.database(path: databaseURL.path, message: "features of \(model) must be 2-D, got shape \(features.shape)")
        }
        let featuresRelative = "features/\(key).npy"
        let probsRelative = probabilities.map { _ in "features/\(key).source_probs.npy" }
        try FeatureFile.writeNpy(features, to: url(featuresRelative))
        let featuresSum = try FileDigest.sha256(of: url(featuresRelative))
        let featuresSize = try size(of: url(featuresRelative))
        var probsSum: String?
        var probsSize: Int?
        if let probabilities, let probsRelative {
            try FeatureFile.writeNpy(probabilities, to: url(probsRelative))
            probsSum = try FileDigest.sha256(of: url(probsRelative))
            probsSize = try size(of: url(probsRelative))
        }
        let created = Date()
        try write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO entry(key, model, features_path, features_size, features_sha256,
                        probs_path, probs_size, probs_sha256, rows, columns, created)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    key, model, featuresRelative, featuresSize, featuresSum,
                    probsRelative, probsSize, probsSum, features.shape[0], features.shape[1], created,
                ])
        }
        return CachedFeatures(
            key: key, model: model, featuresURL: url(featuresRelative), probabilitiesURL: probsRelative.map(url),
            rows: features.shape[0], columns: features.shape[1], created: created)
    }

    /// Deletes an entry's row, then its files.
    package func remove(key: String) throws {
        let paths: [String] = try write { db in
            let row = try Row.fetchOne(db, sql: "SELECT features_path, probs_path FROM entry WHERE key = ?", arguments: [key])
            try db.execute(sql: "DELETE FROM entry WHERE key = ?", arguments: [key])
            return [row?["features_path"], row?["probs_path"]].compactMap { $0 }
        }
        for p in paths { try? FileManager.default.removeItem(at: url(p)) }
    }

    /// Every entry, newest first (for listing and tests).
    package func entries() throws -> [(key: String, model: String, created: Date)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT key, model, created FROM entry ORDER BY created DESC").map {
                (key: $0["key"] as String, model: $0["model"] as String, created: $0["created"] as Date)
            }
        }
    }

    /// Removes files in `features/` that no row refers to (left by a kill between the
    /// file write and the insert, or temporary files of an interrupted write) and that
    /// are older than `age` seconds: a younger file may belong to another process
    /// sharing the cache that has not inserted its row yet.
    @discardableResult
    package func removeOrphans(olderThan age: TimeInterval = 3600) throws -> Int {
        let known: Set<String> = try read { db in
            var s = Set<String>()
            for row in try Row.fetchAll(db, sql: "SELECT features_path, probs_path FROM entry") {
                s.insert(row["features_path"])
                if let p: String = row["probs_path"] { s.insert(p) }
            }
            return s
        }
        var removed = 0
        let names = (try? FileManager.default.contentsOfDirectory(atPath: filesDirectory.path)) ?? []
        let cutoff = Date().addingTimeInterval(-age)
        for name in names where !known.contains("features/\(name)") {
            let file = filesDirectory.appendingPathComponent(name)
            let modified = (try? FileManager.default.attributesOfItem(atPath: file.path))?[.modificationDate] as? Date
            guard let modified, modified < cutoff else { continue }
            try? FileManager.default.removeItem(at: file)
            removed += 1
        }
        return removed
    }

    // MARK: Helpers

    func url(_ relative: String) -> URL { directory.appendingPathComponent(relative) }

    private func size(of url: URL) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        return (attributes[.size] as? NSNumber)?.intValue ?? -1
    }

    /// Nil when the file has the recorded size and checksum, else the reason.
    private func verify(relative: String, size expected: Int, sha256: String) -> String? {
        let file = url(relative)
        guard FileManager.default.fileExists(atPath: file.path) else { return "\(relative) is missing" }
        guard let actual = try? size(of: file), actual == expected else {
            return "\(relative) has \((try? size(of: file)) ?? -1) bytes, expected \(expected) (truncated or replaced)"
        }
        guard let sum = try? FileDigest.sha256(of: file), sum == sha256 else { return "\(relative) fails its SHA-256 check (corrupt)" }
        return nil
    }

    private func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.read(body) } catch let error as DatabaseError {
            throw CacheError.database(path: databaseURL.path, message: "\(error)")
        }
    }

    private func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.write(body) } catch let error as DatabaseError {
            throw CacheError.database(path: databaseURL.path, message: "\(error)")
        }
    }
}
