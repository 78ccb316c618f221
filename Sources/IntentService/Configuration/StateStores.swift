import Foundation
import IntentChannels
import IntentCore
import IntentPostgres
import IntentSQLite

/// The channel's conversations and the console's edits, in one store.
typealias StateStore = ConversationStore & CorpusEditStore

/// The index `import` writes and serving reads, with its analytics.
typealias AnalyticsIndexStore = IndexStore & StatisticsStore

/// Opens the index store a URL names: `sqlite:PATH` (or a bare path) or `postgres://...`.
enum IndexStores {
    /// Opens (and migrates) the store; a SQLite file is opened on a thread that may block.
    static func open(url: String) async throws -> any AnalyticsIndexStore {
        if StateStores.isPostgres(url) { return try await PostgresIndexStore.open(url: url) }
        return try await BlockingIO.run { try SQLiteIndexStore(url: url) }
    }
}

/// Opens the state store a URL names: `sqlite:PATH` (a file on this machine, the default) or
/// `postgres://user[:password]@host[:port]/database` (`postgresql://` too; shared by replicas).
enum StateStores {
    static func isPostgres(_ url: String) -> Bool {
        ["postgres", "postgresql"].contains(SQLiteIndexStore.scheme(of: url) ?? "")
    }

    /// Why the URL names no store this service can open, if it does not.
    static func unsupported(_ url: String) -> String? {
        guard !url.hasPrefix("sqlite:"), !isPostgres(url), let scheme = SQLiteIndexStore.scheme(of: url) else { return nil }
        return "unsupported store scheme '\(scheme)'; use sqlite:PATH (or a plain file path) or postgres://user@host[:port]/database"
    }

    /// Whether the store exists yet: a server always does; a file once something was written.
    static func exists(url: String) throws -> Bool {
        try isPostgres(url) || SQLiteStateStore.exists(url: url)
    }

    /// Opens (and migrates) the store; a SQLite file is opened on a thread that may block.
    static func open(url: String) async throws -> any StateStore {
        if isPostgres(url) { return try await PostgresStateStore.open(url: url) }
        return try await BlockingIO.run { try SQLiteStateStore(url: url) }
    }
}
