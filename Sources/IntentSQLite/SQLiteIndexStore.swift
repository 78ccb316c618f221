import Foundation
import GRDB
package import IntentCore

/// The default `IndexStore`: one SQLite file (WAL mode) through GRDB.
///
/// Tables: `entries`, `paraphrases` (text, content hash), `vectors` (a Float32 vector blob
/// per content hash, staged by imports batch by batch), `rules`, `meta` (embedder id,
/// dimension, import time), `embedding_cache`
/// (vectors by embedder id and content hash, kept across imports and failed runs),
/// `import_runs` (what each import changed) and the `/v1/stats` analytics
/// (`stat_counts`, `stat_recent`, `stat_info`; see `StatisticsStore`). The schema is versioned by GRDB
/// migrations. Its methods run their SQL on GRDB's queues, never on Swift concurrency's threads.
package final class SQLiteIndexStore: IndexStore, StatisticsStore {
    package static let defaultPath = ".intent/index.sqlite"
    package let path: String
    let pool: DatabasePool

    package init(path: String) throws {
        self.path = path
        pool = try SQLiteFile.open(path, migrator: Self.migrator)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    CREATE TABLE entries (
                        id TEXT PRIMARY KEY, position INTEGER NOT NULL, answer TEXT NOT NULL, keywords TEXT NOT NULL,
                        tags TEXT NOT NULL, threshold REAL, file TEXT, line INTEGER);
                    CREATE TABLE paraphrases (
                        entry_id TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE, position INTEGER NOT NULL,
                        text TEXT NOT NULL, hash TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (entry_id, position));
                    CREATE TABLE rules (id TEXT PRIMARY KEY, position INTEGER NOT NULL, definition TEXT NOT NULL);
                    CREATE TABLE embedding_cache (
                        embedder_id TEXT NOT NULL, hash TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (embedder_id, hash));
                    CREATE TABLE import_runs (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, embedder_id TEXT NOT NULL, summary TEXT NOT NULL);
                    """)
        }
        migrator.registerMigration("v2-statistics") { db in
            try db.execute(
                sql: """
                    CREATE TABLE stat_counts (kind TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (kind, key));
                    CREATE TABLE stat_recent (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, status TEXT NOT NULL, at REAL NOT NULL, message TEXT NOT NULL,
                        candidates TEXT NOT NULL);
                    CREATE INDEX stat_recent_by_status ON stat_recent (status, id);
                    CREATE TABLE stat_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    """)
        }
        migrator.registerMigration("v3-handover") { db in
            try db.execute(sql: "ALTER TABLE entries ADD COLUMN handover INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v4-recent-customer") { db in
            try db.execute(sql: "ALTER TABLE stat_recent ADD COLUMN customer TEXT")
        }
        migrator.registerMigration("v5-answers-by-language") { db in
            try db.execute(sql: "ALTER TABLE entries ADD COLUMN answers TEXT NOT NULL DEFAULT '{}'")
        }
        migrator.registerMigration("v6-vectors-by-hash") { db in
            // Rows of 6-11 KB: a rowid table, its hash a unique key (WITHOUT ROWID suits small rows).
            // The paraphrases' table is rebuilt rather than altered (DROP COLUMN needs SQLite 3.35);
            // `compact_pending` asks `SQLiteFile.open` to give the moved vectors' pages back.
            try db.execute(
                sql: """
                    CREATE TABLE vectors (hash TEXT NOT NULL PRIMARY KEY, vector BLOB NOT NULL);
                    INSERT OR IGNORE INTO vectors (hash, vector) SELECT hash, vector FROM paraphrases;
                    CREATE TABLE paraphrases_v6 (
                        entry_id TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE, position INTEGER NOT NULL,
                        text TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (entry_id, position));
                    INSERT INTO paraphrases_v6 (entry_id, position, text, hash) SELECT entry_id, position, text, hash FROM paraphrases;
                    DROP TABLE paraphrases;
                    ALTER TABLE paraphrases_v6 RENAME TO paraphrases;
                    CREATE TABLE compact_pending (reason TEXT NOT NULL);
                    INSERT INTO compact_pending (reason) VALUES ('v6-vectors-by-hash');
                    """)
        }
        return migrator
    }

    package func load() async throws -> StoredIndex? {
        try await pool.read { db in
            guard let (corpus, version) = try Self.corpus(db, path: path),
                let dimension = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'dimension'").flatMap(Int.init)
            else { return nil }
            let importedAt = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'imported_at'") ?? ""
            // The hashes in corpus order, then each vector looked up and decoded straight into the
            // matrix, in the smaller layout: a join sorted in SQL would carry every blob through the sorter.
            let hashes = try String.fetchAll(
                db, sql: "SELECT p.hash FROM paraphrases p JOIN entries e ON e.id = p.entry_id ORDER BY e.position, p.position")
            let lookup = try db.makeStatement(sql: "SELECT vector FROM vectors WHERE hash = ?")
            var vectors = EmbeddingMatrix(dimension: dimension)
            for (row, hash) in hashes.enumerated() {
                let found = try Row.fetchCursor(lookup, arguments: [hash])
                guard let blob = try found.next() else {
                    throw IndexStoreError.corruptIndex("no vector for paraphrase \(row + 1) of \(hashes.count)")
                }
                try blob.withUnsafeData(atIndex: 0) { data in
                    if row == 0 { vectors = VectorBlob.matrix(forFirst: data ?? Data(), dimension: dimension, rows: hashes.count) }
                    try VectorBlob.append(data ?? Data(), to: &vectors)
                }
            }
            return StoredIndex(corpus: corpus, vectors: vectors, embedderID: version.embedderID, importedAt: importedAt)
        }
    }

    package func loadCorpus() async throws -> (corpus: Corpus, version: StoredVersion)? {
        try await pool.read { db in try Self.corpus(db, path: path) }
    }

    /// The stored corpus (entries, paraphrase texts, rules) without its vectors.
    private static func corpus(_ db: Database, path: String) throws -> (Corpus, StoredVersion)? {
        let meta = Dictionary(
            try Row.fetchAll(db, sql: "SELECT key, value FROM meta").map { ($0["key"] as String, $0["value"] as String) },
            uniquingKeysWith: { a, _ in a })
        guard let embedderID = meta["embedder_id"] else { return nil }
        var questions: [String: [String]] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT entry_id, text FROM paraphrases ORDER BY entry_id, position")
        while let row = try rows.next() { questions[row[0], default: []].append(row[1]) }
        var entries: [FAQEntry] = []
        for row in try Row.fetchAll(db, sql: "SELECT * FROM entries ORDER BY position") {
            let id: String = row["id"]
            let file: String? = row["file"]
            let line: Int? = row["line"]
            entries.append(
                FAQEntry(
                    id: id, questions: questions[id] ?? [], answer: row["answer"],
                    answers: AnswersCoding.decode(row["answers"]), keywords: Self.strings(row["keywords"]),
                    tags: Self.strings(row["tags"]), threshold: (row["threshold"] as Double?).map(Float.init),
                    handover: row["handover"] as Bool,
                    location: file.map { SourceLocation(file: $0, line: line ?? 0) }))
        }
        var rules: [KeywordRule] = []
        for definition in try String.fetchAll(db, sql: "SELECT definition FROM rules ORDER BY position") {
            if let rule = RuleCoding.decode(definition) { rules.append(rule) }
        }
        let corpus = Corpus(entries: entries, rules: rules, source: "store \(path)")
        let version = StoredVersion(corpusVersion: meta["corpus_version"] ?? corpus.version, embedderID: embedderID, entries: entries.count)
        return (corpus, version)
    }

    package func storedVersion() async throws -> StoredVersion? {
        try await pool.read { db in
            let meta = Dictionary(
                try Row.fetchAll(db, sql: "SELECT key, value FROM meta").map { ($0["key"] as String, $0["value"] as String) },
                uniquingKeysWith: { a, _ in a })
            guard let embedderID = meta["embedder_id"], let version = meta["corpus_version"] else { return nil }
            return StoredVersion(
                corpusVersion: version, embedderID: embedderID, entries: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM entries") ?? 0)
        }
    }

    package func recordUnchangedImport(at time: String, embedderID: String, summary: ImportSummary) async throws {
        let text = String(decoding: try JSONEncoder().encode(summary), as: UTF8.self)
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO import_runs (at, embedder_id, summary) VALUES (?, ?, ?)", arguments: [time, embedderID, text])
        }
    }

    package func cachedVectors(embedderID: String, hashes: [String]) async throws -> [String: [Float]] {
        try await pool.read { db in
            var found: [String: [Float]] = [:]
            for chunk in hashes.chunks(of: 500) {
                let marks = chunk.map { _ in "?" }.joined(separator: ",")
                let rows = try Row.fetchAll(
                    db, sql: "SELECT hash, vector FROM embedding_cache WHERE embedder_id = ? AND hash IN (\(marks))",
                    arguments: StatementArguments([embedderID] + chunk))
                for row in rows { found[row["hash"]] = VectorBlob.decode(row["vector"]) }
            }
            return found
        }
    }

    package func cacheVectors(embedderID: String, _ vectors: [(hash: String, vector: [Float])]) async throws {
        try await pool.write { db in
            for (hash, vector) in vectors {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO embedding_cache (embedder_id, hash, vector) VALUES (?, ?, ?)",
                    arguments: [embedderID, hash, VectorBlob.encode(vector)])
            }
        }
    }

    package func storedVectorHashes(among hashes: [String]) async throws -> Set<String> {
        try await pool.read { db in
            var found: Set<String> = []
            for chunk in hashes.chunks(of: 500) {
                let marks = chunk.map { _ in "?" }.joined(separator: ",")
                found.formUnion(
                    try String.fetchAll(db, sql: "SELECT hash FROM vectors WHERE hash IN (\(marks))", arguments: StatementArguments(chunk)))
            }
            return found
        }
    }

    package func stageVectors(_ vectors: EmbeddingMatrix, hashes: [String]) async throws {
        precondition(vectors.count == hashes.count, "one row per hash")
        let blobs = (0..<vectors.count).map { VectorBlob.encode(Array(vectors.row($0))) }
        try await pool.write { db in
            let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO vectors (hash, vector) VALUES (?, ?)")
            for (hash, blob) in zip(hashes, blobs) { try insert.execute(arguments: [hash, blob]) }
        }
    }

    package func replace(
        corpus: Corpus, embedderID: String, dimension: Int, importedAt: String, summary: ImportSummary, over previous: StoredVersion?
    ) async throws {
        let summaryText = String(decoding: try JSONEncoder().encode(summary), as: UTF8.self)
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO import_runs (at, embedder_id, summary) VALUES (?, ?, ?)", arguments: [importedAt, embedderID, summaryText])
            let current = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'corpus_version'")
            let currentEmbedder = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'embedder_id'")
            if current == corpus.version && currentEmbedder == embedderID {
                // Nothing changed: the run is recorded, the index kept as it is.
                try db.execute(sql: Self.unusedVectors)
                return
            }
            guard current == previous?.corpusVersion && currentEmbedder == previous?.embedderID else { throw IndexStoreError.changedMeanwhile }
            try db.execute(sql: "DELETE FROM paraphrases; DELETE FROM entries; DELETE FROM rules; DELETE FROM meta;")
            let paraphrase = try db.makeStatement(sql: "INSERT INTO paraphrases (entry_id, position, text, hash) VALUES (?, ?, ?, ?)")
            for (position, entry) in corpus.entries.enumerated() {
                try db.execute(
                    sql:
                        "INSERT INTO entries (id, position, answer, answers, keywords, tags, threshold, handover, file, line) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        entry.id, position, entry.answer, AnswersCoding.encode(entry.answers), Self.json(entry.keywords), Self.json(entry.tags),
                        entry.threshold.map { Double($0) }, entry.handover, entry.location?.file, entry.location?.line,
                    ])
                for (p, question) in entry.questions.enumerated() {
                    try paraphrase.execute(arguments: [entry.id, p, question, ParaphraseKey.hash(question, embedderID: embedderID)])
                }
            }
            let unembedded = try String.fetchAll(
                db,
                sql: """
                    SELECT p.text FROM paraphrases p JOIN entries e ON e.id = p.entry_id
                    WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE v.hash = p.hash) ORDER BY e.position, p.position
                    """)
            if let example = unembedded.first { throw IndexStoreError.missingVectors(count: unembedded.count, example: example) }
            for (position, rule) in corpus.rules.enumerated() {
                try db.execute(
                    sql: "INSERT INTO rules (id, position, definition) VALUES (?, ?, ?)", arguments: [rule.id, position, RuleCoding.encode(rule)])
            }
            for (key, value) in [
                ("embedder_id", embedderID), ("dimension", "\(dimension)"), ("imported_at", importedAt), ("corpus_version", corpus.version),
            ] {
                try db.execute(sql: "INSERT INTO meta (key, value) VALUES (?, ?)", arguments: [key, value])
            }
            try db.execute(sql: Self.unusedVectors)
        }
    }

    package func paraphrasesWithoutVectors() async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM paraphrases p WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE v.hash = p.hash)")
                ?? 0
        }
    }

    /// Vectors no paraphrase uses: a replaced corpus's, and what failed imports staged.
    static let unusedVectors = "DELETE FROM vectors WHERE hash NOT IN (SELECT hash FROM paraphrases)"

    static func json(_ strings: [String]) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: strings)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func strings(_ text: String) -> [String] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String]) ?? []
    }
}
