import ArgumentParser
import Foundation
import IntentChannels
import IntentCore
import IntentPostgres
import IntentSQLite

/// The channel's conversations, the console's edits and the agents, in one store.
typealias StateStore = ConversationStore & CorpusEditStore & FlowEditStore & AgentStore

/// The index `import` writes and serving reads, with its analytics.
typealias AnalyticsIndexStore = IndexStore & StatisticsStore

/// Where a store lives: a SQLite file on this machine, or a PostgreSQL server that replicas
/// share. Parsed once where the setting is read, so a bad scheme is a configuration error naming
/// its source, and printed without its password wherever it appears (logs, errors).
enum StoreURL: Sendable, Equatable, CustomStringConvertible {
    /// `sqlite:PATH`, or a bare path.
    case sqlite(path: String)
    /// `postgres://user[:password]@host[:port]/database` (`postgresql://` too), as given.
    case postgres(String)

    static let defaultIndex = StoreURL.sqlite(path: SQLiteIndexStore.defaultPath)
    static let defaultState = StoreURL.sqlite(path: ".intent/state.sqlite")

    /// Any scheme other than `sqlite:` and `postgres(ql)://` is refused: a URL for another
    /// database is never taken for a file name with a colon in it.
    init(parsing text: String) throws(ConfigurationError) {
        switch Self.scheme(of: text) {
        case nil: self = .sqlite(path: text)
        case "sqlite":
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw ConfigurationError("sqlite: needs a file path, as in sqlite:.intent/state.sqlite") }
            self = .sqlite(path: path)
        case "postgres", "postgresql": self = .postgres(text)
        case let scheme?:
            throw ConfigurationError(
                "unsupported store scheme '\(scheme)'; use sqlite:PATH (or a plain file path) or postgres://user@host[:port]/database")
        }
    }

    /// The scheme of `scheme:…` (letters, digits, `+`, `-`, `.` after a letter), if the text has one.
    private static func scheme(of text: String) -> String? {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let scheme = text[..<colon]
        guard let first = scheme.first, first.isASCII, first.isLetter, scheme.count > 1,
            scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else { return nil }
        return String(scheme)
    }

    /// Whether several processes on several machines can share it (and so need `ReplicaWatcher`).
    var isShared: Bool {
        if case .postgres = self { return true }
        return false
    }

    /// The URL with any password left out.
    var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:" + path
        case .postgres(let url): return PostgresServer.redacted(url)
        }
    }

    /// Opens (and migrates) the index store; a SQLite file is opened on a thread that may block.
    func openIndex() async throws -> any AnalyticsIndexStore {
        switch self {
        case .postgres(let url): return try await PostgresIndexStore.open(url: url)
        case .sqlite(let path): return try await BlockingIO.run { try SQLiteIndexStore(path: path) }
        }
    }

    /// Opens (and migrates) the state store; a SQLite file is opened on a thread that may block.
    func openState() async throws -> any StateStore {
        switch self {
        case .postgres(let url): return try await PostgresStateStore.open(url: url)
        case .sqlite(let path): return try await BlockingIO.run { try SQLiteStateStore(path: path) }
        }
    }

    /// Whether the store exists yet: a server always does; a file once something was written.
    var exists: Bool {
        switch self {
        case .postgres: return true
        case .sqlite(let path): return FileManager.default.fileExists(atPath: path)
        }
    }
}

extension ConfigurationLayers {
    /// A store URL setting, its error naming where the bad value came from.
    func storeURL(_ setting: Setting) throws(ConfigurationError) -> StoreURL? {
        guard let (value, origin) = raw(setting) else { return nil }
        do {
            return try StoreURL(parsing: value)
        } catch {
            throw ConfigurationError("\(origin): \(error.description)")
        }
    }
}

extension StoreURL {
    /// A command's `--store`/`--state` option: an unsupported scheme exits 2 naming the option.
    static func option(_ value: String?, name: String) throws -> StoreURL? {
        guard let value else { return nil }
        do {
            return try StoreURL(parsing: value)
        } catch {
            printError("configuration: \(name): \(error.description)")
            throw ExitCode(2)
        }
    }
}
