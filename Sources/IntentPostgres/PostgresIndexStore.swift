import Foundation
package import IntentCore
import NIOCore
import PostgresNIO

/// The index `import` writes, and `/v1/stats`' analytics, on a PostgreSQL server several
/// replicas share: the same tables and vector encoding (`VectorBlob`) as `SQLiteIndexStore`.
///
/// `replace` swaps the whole index in one transaction and announces the new version with
/// `NOTIFY intent_index` (delivered at commit: `versionChanges()`), so replicas reload without a
/// restart; they also compare `storedVersion()` periodically, in case a notification is missed.
package final class PostgresIndexStore: IndexStore, StatisticsStore {
    package let server: PostgresServer
    package static let channel = "intent_index"

    private init(server: PostgresServer) {
        self.server = server
    }

    /// The store on `server`, its tables created or migrated.
    package static func open(server: PostgresServer) async throws -> PostgresIndexStore {
        try await server.migrate(migrations)
        return PostgresIndexStore(server: server)
    }

    /// Connects to the server at `url` and opens the store there; an import's transaction may
    /// take minutes, so calls wait up to 120 s for the server.
    package static func open(url: String) async throws -> PostgresIndexStore {
        try await open(server: PostgresServer.connect(url: url, timeout: .seconds(120)))
    }

    static let migrations: [(id: String, sql: [String])] = [
        (
            "index-v1",
            [
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                """
                CREATE TABLE entries (
                    id TEXT PRIMARY KEY, position INTEGER NOT NULL, answer TEXT NOT NULL, keywords TEXT NOT NULL, tags TEXT NOT NULL,
                    threshold DOUBLE PRECISION, handover BOOLEAN NOT NULL DEFAULT FALSE, file TEXT, line INTEGER)
                """,
                """
                CREATE TABLE paraphrases (
                    entry_id TEXT NOT NULL REFERENCES entries(id) ON DELETE CASCADE, position INTEGER NOT NULL, text TEXT NOT NULL,
                    hash TEXT NOT NULL, vector BYTEA NOT NULL, entry_position INTEGER NOT NULL, PRIMARY KEY (entry_id, position))
                """,
                "CREATE TABLE rules (id TEXT PRIMARY KEY, position INTEGER NOT NULL, definition TEXT NOT NULL)",
                "CREATE TABLE embedding_cache (embedder_id TEXT NOT NULL, hash TEXT NOT NULL, vector BYTEA NOT NULL, PRIMARY KEY (embedder_id, hash))",
                "CREATE TABLE import_runs (id BIGSERIAL PRIMARY KEY, at TEXT NOT NULL, embedder_id TEXT NOT NULL, summary TEXT NOT NULL)",
                "CREATE TABLE stat_counts (kind TEXT NOT NULL, key TEXT NOT NULL, count BIGINT NOT NULL, PRIMARY KEY (kind, key))",
                """
                CREATE TABLE stat_recent (
                    id BIGSERIAL PRIMARY KEY, status TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, message TEXT NOT NULL,
                    candidates TEXT NOT NULL, customer TEXT)
                """,
                "CREATE INDEX stat_recent_by_status ON stat_recent (status, id)",
                "CREATE TABLE stat_info (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            ]
        ),
        ("index-v2-answers-by-language", ["ALTER TABLE entries ADD COLUMN answers TEXT NOT NULL DEFAULT '{}'"]),
        (
            "index-v3-vectors-by-hash",
            [
                "CREATE TABLE vectors (hash TEXT PRIMARY KEY, vector BYTEA NOT NULL)",
                "INSERT INTO vectors (hash, vector) SELECT hash, vector FROM paraphrases ON CONFLICT (hash) DO NOTHING",
                "ALTER TABLE paraphrases DROP COLUMN vector",
            ]
        ),
    ]

    /// The versions of imports as they commit, from any process (see `PostgresServer.notifications`).
    package func versionChanges() -> AsyncStream<String> { server.notifications(on: Self.channel) }

    // MARK: The index

    package func load() async throws -> StoredIndex? {
        try await Self.snapshot(server) { db in
            guard let (corpus, version, meta) = try await Self.corpus(db, source: self.server.displayURL),
                let dimension = meta["dimension"].flatMap(Int.init)
            else { return nil }
            var vectors: EmbeddingMatrix?
            let rows = try await db.query(
                "SELECT v.vector FROM paraphrases p JOIN vectors v ON v.hash = p.hash ORDER BY p.entry_position, p.position",
                logger: PostgresServer.quiet)
            for try await blob in rows.decode(ByteBuffer.self) {
                let data = Data(blob.readableBytesView)
                if vectors == nil {
                    vectors = VectorBlob.matrix(forFirst: data, dimension: dimension, rows: corpus.paraphraseCount)
                }
                try VectorBlob.append(data, to: &vectors!)
            }
            let loaded = vectors ?? EmbeddingMatrix(dimension: dimension)
            guard loaded.count == corpus.paraphraseCount else {
                throw IndexStoreError.corruptIndex(
                    "\(corpus.paraphraseCount - loaded.count) of \(corpus.paraphraseCount) paraphrases have no vector")
            }
            return StoredIndex(corpus: corpus, vectors: loaded, embedderID: version.embedderID, importedAt: meta["imported_at"] ?? "")
        }
    }

    package func loadCorpus() async throws -> (corpus: Corpus, version: StoredVersion)? {
        try await Self.snapshot(server) { db in try await Self.corpus(db, source: self.server.displayURL).map { ($0.0, $0.1) } }
    }

    /// Runs `body`'s reads in one snapshot, so a `replace` committing meanwhile is seen whole or
    /// not at all (the corpus and its vectors are several statements).
    static func snapshot<T: Sendable>(
        _ server: PostgresServer, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await server.transaction { db in
                try await db.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: PostgresServer.quiet)
                return try await body(db)
            }
        } catch let failed as PostgresTransactionError {
            // postgres-nio wraps what a transaction's closure throws: thrown as it was.
            if let error = failed.closureError { throw error }
            throw failed
        }
    }

    static func meta(_ db: PostgresConnection) async throws -> [String: String] {
        var meta: [String: String] = [:]
        for try await (key, value) in try await db.query("SELECT key, value FROM meta", logger: PostgresServer.quiet).decode((String, String).self) {
            meta[key] = value
        }
        return meta
    }

    static func corpus(_ db: PostgresConnection, source: String) async throws -> (Corpus, StoredVersion, [String: String])? {
        let meta = try await meta(db)
        guard let embedderID = meta["embedder_id"] else { return nil }
        var questions: [String: [String]] = [:]
        for try await (entry, text) in try await db.query(
            "SELECT entry_id, text FROM paraphrases ORDER BY entry_id, position", logger: PostgresServer.quiet
        )
        .decode((String, String).self) {
            questions[entry, default: []].append(text)
        }
        var entries: [FAQEntry] = []
        for try await (id, answer, answers, keywords, tags, threshold, handover, file, line) in try await db.query(
            "SELECT id, answer, answers, keywords, tags, threshold, handover, file, line FROM entries ORDER BY position",
            logger: PostgresServer.quiet
        ).decode((String, String, String, String, String, Double?, Bool, String?, Int?).self) {
            entries.append(
                FAQEntry(
                    id: id, questions: questions[id] ?? [], answer: answer, answers: AnswersCoding.decode(answers),
                    keywords: strings(keywords), tags: strings(tags),
                    threshold: threshold.map(Float.init), handover: handover, location: file.map { SourceLocation(file: $0, line: line ?? 0) }))
        }
        var rules: [KeywordRule] = []
        for try await definition in try await db.query("SELECT definition FROM rules ORDER BY position", logger: PostgresServer.quiet).decode(
            String.self)
        {
            if let rule = RuleCoding.decode(definition) { rules.append(rule) }
        }
        let corpus = Corpus(entries: entries, rules: rules, source: "store \(source)")
        let version = StoredVersion(corpusVersion: meta["corpus_version"] ?? corpus.version, embedderID: embedderID, entries: entries.count)
        return (corpus, version, meta)
    }

    package func storedVersion() async throws -> StoredVersion? {
        try await server.run { client in
            try await client.withConnection { db in
                let meta = try await Self.meta(db)
                guard let embedderID = meta["embedder_id"], let version = meta["corpus_version"] else { return nil }
                var count = 0
                for try await n in try await db.query("SELECT COUNT(*) FROM entries", logger: PostgresServer.quiet).decode(Int.self) { count = n }
                return StoredVersion(corpusVersion: version, embedderID: embedderID, entries: count)
            }
        }
    }

    package func recordUnchangedImport(at time: String, embedderID: String, summary: ImportSummary) async throws {
        let text = String(decoding: try JSONEncoder().encode(summary), as: UTF8.self)
        _ = try await server.run { client in
            try await client.query(
                "INSERT INTO import_runs (at, embedder_id, summary) VALUES (\(time), \(embedderID), \(text))", logger: PostgresServer.quiet)
        }
    }

    package func cachedVectors(embedderID: String, hashes: [String]) async throws -> [String: [Float]] {
        try await server.run { client in
            var found: [String: [Float]] = [:]
            for chunk in hashes.chunks(of: 5_000) {
                let rows = try await client.query(
                    "SELECT hash, vector FROM embedding_cache WHERE embedder_id = \(embedderID) AND hash = ANY(\(chunk))",
                    logger: PostgresServer.quiet)
                for try await (hash, blob) in rows.decode((String, ByteBuffer).self) { found[hash] = VectorBlob.decode(Data(blob.readableBytesView)) }
            }
            return found
        }
    }

    package func cacheVectors(embedderID: String, _ vectors: [(hash: String, vector: [Float])]) async throws {
        let rows = vectors.map { [PostgresValue.text(embedderID), .text($0.hash), .bytes(VectorBlob.encode($0.vector))] }
        try await server.transaction { db in
            try await Self.insert(
                db, "INSERT INTO embedding_cache (embedder_id, hash, vector) VALUES", rows,
                suffix: "ON CONFLICT (embedder_id, hash) DO UPDATE SET vector = excluded.vector")
        }
    }

    package func storedVectorHashes(among hashes: [String]) async throws -> Set<String> {
        try await server.run { client in
            var found: Set<String> = []
            for chunk in hashes.chunks(of: 5_000) {
                let rows = try await client.query("SELECT hash FROM vectors WHERE hash = ANY(\(chunk))", logger: PostgresServer.quiet)
                for try await hash in rows.decode(String.self) { found.insert(hash) }
            }
            return found
        }
    }

    package func stageVectors(_ vectors: EmbeddingMatrix, hashes: [String]) async throws {
        precondition(vectors.count == hashes.count, "one row per hash")
        // In hash order: two imports staging the same hashes in different orders would deadlock.
        let rows = hashes.indices.sorted { hashes[$0] < hashes[$1] }.map {
            [PostgresValue.text(hashes[$0]), .bytes(VectorBlob.encode(Array(vectors.row($0))))]
        }
        try await server.transaction { db in
            try await Self.insert(db, "INSERT INTO vectors (hash, vector) VALUES", rows, suffix: "ON CONFLICT (hash) DO NOTHING")
        }
    }

    package func replace(
        corpus: Corpus, embedderID: String, dimension: Int, importedAt: String, summary: ImportSummary, over previous: StoredVersion?
    ) async throws {
        let summaryText = String(decoding: try JSONEncoder().encode(summary), as: UTF8.self)
        var entries: [[PostgresValue]] = []
        var paraphrases: [[PostgresValue]] = []
        for (position, entry) in corpus.entries.enumerated() {
            entries.append([
                .text(entry.id), .int(position), .text(entry.answer), .text(AnswersCoding.encode(entry.answers)),
                .text(Self.json(entry.keywords)), .text(Self.json(entry.tags)),
                .double(entry.threshold.map { Double($0) }), .bool(entry.handover), .optionalText(entry.location?.file),
                .optionalInt(entry.location?.line),
            ])
            for (p, question) in entry.questions.enumerated() {
                paraphrases.append([
                    .text(entry.id), .int(p), .text(question), .text(ParaphraseKey.hash(question, embedderID: embedderID)), .int(position),
                ])
            }
        }
        let rules = corpus.rules.enumerated().map { [PostgresValue.text($1.id), .int($0), .text(RuleCoding.encode($1))] }
        let metaRows = [
            ("embedder_id", embedderID), ("dimension", "\(dimension)"), ("imported_at", importedAt), ("corpus_version", corpus.version),
        ].map { [PostgresValue.text($0.0), .text($0.1)] }
        let (entryRows, paraphraseRows) = (entries, paraphrases)
        let version = corpus.version
        do {
            try await swap(
                previous: previous, version: version, embedderID: embedderID, importedAt: importedAt, summaryText: summaryText, entryRows: entryRows,
                paraphraseRows: paraphraseRows, rules: rules, metaRows: metaRows)
        } catch let failed as PostgresTransactionError {
            // postgres-nio wraps what a transaction's closure throws: a refusal is thrown as is.
            if let refused = failed.closureError as? IndexStoreError { throw refused }
            throw failed
        }
    }

    private func swap(
        previous: StoredVersion?, version: String, embedderID: String, importedAt: String, summaryText: String, entryRows: [[PostgresValue]],
        paraphraseRows: [[PostgresValue]], rules: [[PostgresValue]], metaRows: [[PostgresValue]]
    ) async throws {
        try await server.transaction { db in
            // One import at a time, whichever replica or command runs it.
            try await db.query("SELECT pg_advisory_xact_lock(726354)", logger: PostgresServer.quiet)
            let meta = try await Self.meta(db)
            try await db.query(
                "INSERT INTO import_runs (at, embedder_id, summary) VALUES (\(importedAt), \(embedderID), \(summaryText))",
                logger: PostgresServer.quiet)
            if meta["corpus_version"] == version && meta["embedder_id"] == embedderID {
                // Nothing changed: the run is recorded, the index kept as it is.
                try await db.query(Self.unusedVectors, logger: PostgresServer.quiet)
                return
            }
            guard meta["corpus_version"] == previous?.corpusVersion && meta["embedder_id"] == previous?.embedderID else {
                throw IndexStoreError.changedMeanwhile
            }
            for table in ["paraphrases", "entries", "rules", "meta"] {
                try await db.query(PostgresQuery(unsafeSQL: "DELETE FROM \(table)"), logger: PostgresServer.quiet)
            }
            try await Self.insert(
                db, "INSERT INTO entries (id, position, answer, answers, keywords, tags, threshold, handover, file, line) VALUES",
                entryRows)
            try await Self.insert(db, "INSERT INTO paraphrases (entry_id, position, text, hash, entry_position) VALUES", paraphraseRows)
            var unembedded: [String] = []
            for try await text in try await db.query(
                "SELECT text FROM paraphrases p WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE v.hash = p.hash) ORDER BY entry_position, position",
                logger: PostgresServer.quiet
            ).decode(String.self) {
                unembedded.append(text)
            }
            if let example = unembedded.first { throw IndexStoreError.missingVectors(count: unembedded.count, example: example) }
            try await Self.insert(db, "INSERT INTO rules (id, position, definition) VALUES", rules)
            try await Self.insert(db, "INSERT INTO meta (key, value) VALUES", metaRows)
            try await db.query(Self.unusedVectors, logger: PostgresServer.quiet)
            try await db.query("SELECT pg_notify(\(Self.channel), \(version))", logger: PostgresServer.quiet)
        }
    }

    package func paraphrasesWithoutVectors() async throws -> Int {
        try await server.run { client in
            var count = 0
            for try await n in try await client.query(
                "SELECT COUNT(*) FROM paraphrases p WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE v.hash = p.hash)", logger: PostgresServer.quiet
            ).decode(Int.self) {
                count = n
            }
            return count
        }
    }

    /// Vectors no paraphrase uses: a replaced corpus's, and what failed imports staged.
    static let unusedVectors: PostgresQuery = "DELETE FROM vectors v WHERE NOT EXISTS (SELECT 1 FROM paraphrases p WHERE p.hash = v.hash)"

    // MARK: Statistics

    package func loadStatistics(recentLimit: Int) async throws -> MatchStatistics? {
        try await server.run { client in
            try await client.withConnection { db in
                var since: String?
                for try await value in try await db.query("SELECT value FROM stat_info WHERE key = 'since'", logger: PostgresServer.quiet)
                    .decode(String.self)
                {
                    since = value
                }
                var counts: [(kind: String, key: String, count: Int)] = []
                for try await (kind, key, count) in try await db.query("SELECT kind, key, count FROM stat_counts", logger: PostgresServer.quiet)
                    .decode((String, String, Int).self)
                {
                    counts.append((kind, key, count))
                }
                var recent: [StatisticsRows.Recent] = []
                for status in StatisticsRows.recentStatuses {
                    for try await (stored, at, message, candidates, customer) in try await db.query(
                        """
                        SELECT status, at, message, candidates, customer FROM stat_recent WHERE status = \(status.rawValue)
                        ORDER BY id DESC LIMIT \(recentLimit)
                        """,
                        logger: PostgresServer.quiet
                    ).decode((String, Double, String, String, String?).self) {
                        recent.append(StatisticsRows.Recent(status: stored, at: at, message: message, candidates: candidates, customer: customer))
                    }
                }
                return StatisticsRows.statistics(since: since, counts: counts, newestFirst: recent, recentLimit: recentLimit)
            }
        }
    }

    package func append(_ batch: StatisticsBatch, recentLimit: Int) async throws {
        guard !batch.isEmpty else { return }
        let since = StatisticsRows.since(of: batch)
        let counts = StatisticsRows.counts(of: batch).map { [PostgresValue.text($0.kind), .text($0.key), .int($0.count)] }
        let recent = try StatisticsRows.recent(of: batch).map {
            [PostgresValue.text($0.status), .double($0.at), .text($0.message), .text($0.candidates), .optionalText($0.customer)]
        }
        let statuses = StatisticsRows.trimmedStatuses(of: batch)
        try await server.transaction { db in
            try await db.query("INSERT INTO stat_info (key, value) VALUES ('since', \(since)) ON CONFLICT DO NOTHING", logger: PostgresServer.quiet)
            try await Self.insert(
                db, "INSERT INTO stat_counts (kind, key, count) VALUES", counts,
                suffix: "ON CONFLICT (kind, key) DO UPDATE SET count = stat_counts.count + excluded.count")
            try await Self.insert(db, "INSERT INTO stat_recent (status, at, message, candidates, customer) VALUES", recent)
            for status in statuses {
                try await db.query(
                    """
                    DELETE FROM stat_recent WHERE status = \(status) AND id <= (
                        SELECT id FROM stat_recent WHERE status = \(status) ORDER BY id DESC LIMIT 1 OFFSET \(recentLimit))
                    """, logger: PostgresServer.quiet)
            }
        }
    }

    // MARK: Helpers

    /// Many rows per statement (a round trip per row would make a 50,000-paraphrase import
    /// take minutes): at most 60,000 parameters each, PostgreSQL's limit being 65,535.
    static func insert(_ db: PostgresConnection, _ head: String, _ rows: [[PostgresValue]], suffix: String = "") async throws {
        guard let width = rows.first?.count else { return }
        let perStatement = max(1, 60_000 / width)
        for start in stride(from: 0, to: rows.count, by: perStatement) {
            let chunk = rows[start..<min(start + perStatement, rows.count)]
            var bindings = PostgresBindings(capacity: chunk.count * width)
            var tuples: [String] = []
            tuples.reserveCapacity(chunk.count)
            for row in chunk {
                let first = bindings.count + 1
                for value in row { try value.bind(into: &bindings) }
                tuples.append("(" + (first..<(first + width)).map { "$\($0)" }.joined(separator: ", ") + ")")
            }
            try await db.query(
                PostgresQuery(unsafeSQL: head + " " + tuples.joined(separator: ", ") + " " + suffix, binds: bindings), logger: PostgresServer.quiet)
        }
    }

    static func json(_ strings: [String]) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: strings)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func strings(_ text: String) -> [String] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String]) ?? []
    }
}

/// One bound parameter of a multi-row insert.
enum PostgresValue: Sendable {
    case text(String), optionalText(String?), int(Int), optionalInt(Int?), double(Double?), bool(Bool), bytes(Data)

    func bind(into bindings: inout PostgresBindings) throws {
        switch self {
        case .text(let value): bindings.append(value)
        case .optionalText(let value): bindings.append(value)
        case .int(let value): bindings.append(value)
        case .optionalInt(let value): bindings.append(value)
        case .double(let value): bindings.append(value)
        case .bool(let value): bindings.append(value)
        case .bytes(let value): bindings.append(ByteBuffer(bytes: value))
        }
    }
}
