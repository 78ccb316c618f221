import Foundation
import IntentCore
package import Logging
package import PostgresNIO

/// A PostgreSQL server shared by several replicas: a `postgres://user[:password]@host[:port]/db`
/// URL and a pool of connections (postgres-nio's `PostgresClient`), used directly by the async
/// store methods: the queries run on the client's event loops, never on a blocked thread.
///
/// The password comes from the URL, else `PGPASSWORD`; it is never logged nor part of an error.
package final class PostgresServer: Sendable {
    package let client: PostgresClient
    /// The URL without its password, for logs and errors.
    package let displayURL: String
    private let runner: Task<Void, Never>
    /// The pool, every query and every deadline run here (see `DedicatedExecutor`). Lives as
    /// long as the server.
    private let executor: DedicatedExecutor

    /// The longest one call waits (a connection included): a server that is down or
    /// unreachable is an error after this, never a hang (the pool itself retries forever).
    package let timeout: Duration
    /// For connections outside the pool (`listen`).
    private let connection: PostgresConnection.Configuration

    /// Connects, and fails within 5 s when the server cannot be reached, whatever `timeout` is.
    package static func connect(url: String, timeout: Duration = .seconds(10), logger: Logger? = nil) async throws -> PostgresServer {
        let server = try PostgresServer(url: url, timeout: timeout, logger: logger)
        do {
            _ = try await Deadline.run(.seconds(5), on: server.executor) { [client = server.client] in
                try await client.query("SELECT 1", logger: Self.quiet)
            }
        } catch {
            server.runner.cancel()
            throw PostgresUnavailable(url: server.displayURL, seconds: 5)
        }
        return server
    }

    private init(url: String, timeout: Duration, logger: Logger?) throws {
        self.timeout = timeout
        // The pool logs every failed connection attempt; the caller hears about the outage once.
        var logger = logger ?? Logger(label: "intent-service.postgres")
        logger.logLevel = .critical
        let parsed = try PostgresURL(url)
        var configuration = PostgresClient.Configuration(
            host: parsed.host, port: parsed.port, username: parsed.user,
            password: parsed.password ?? ProcessInfo.processInfo.environment["PGPASSWORD"], database: parsed.database, tls: .disable)
        configuration.options.maximumConnections = 16
        configuration.options.connectTimeout = .seconds(5)
        var connection = PostgresConnection.Configuration(
            host: parsed.host, port: parsed.port, username: parsed.user, password: configuration.password, database: parsed.database,
            tls: .disable)
        connection.options.connectTimeout = .seconds(5)
        self.connection = connection
        displayURL = parsed.display
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        let executor = DedicatedExecutor(name: "postgres")
        self.executor = executor
        runner = Task(executorPreference: executor) { await client.run() }
    }

    deinit {
        runner.cancel()
        executor.stop()
    }

    /// Runs `body` against the pool; after `timeout` the caller gets `PostgresUnavailable` and
    /// `body` is cancelled.
    package func run<T: Sendable>(_ body: @escaping @Sendable (PostgresClient) async throws -> T) async throws -> T {
        let client = self.client
        do {
            return try await Deadline.run(timeout, on: executor) { try await body(client) }
        } catch is Deadline.Exceeded {
            throw PostgresUnavailable(url: displayURL, seconds: Double(timeout.components.seconds))
        }
    }

    /// Every `NOTIFY` on `channel`, for as long as the stream is consumed: one pooled connection
    /// listens, and listens again after a lost connection (a second later), so a consumer also
    /// needs its own periodic check for what was sent while no one listened.
    package func notifications(on channel: String) -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(16))
        let client = self.client
        let task = Task(executorPreference: executor) {
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: channel) { notifications in
                            for try await notification in notifications { continuation.yield(notification.payload) }
                        }
                    }
                } catch {
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Listens on `channel` on a connection of its own, outside the pool (it is held for as long
    /// as the listener runs): `listening` once the server has confirmed `LISTEN`, then every
    /// notification's payload to `receive`. Throws when the connection cannot be made or is
    /// lost; returns when the task is cancelled.
    package func listen(
        on channel: String, listening: @Sendable () -> Void, receive: @Sendable (String) -> Void
    ) async throws {
        let configuration = self.connection
        try await withTaskExecutorPreference(executor) {
            let connection = try await PostgresConnection.connect(
                configuration: configuration, id: Int.random(in: 1 ... .max), logger: Self.quiet)
            do {
                try await connection.listen(on: channel) { notifications in
                    listening()
                    for try await notification in notifications { receive(notification.payload) }
                }
            } catch {
                try? await connection.close()
                throw error
            }
            try? await connection.close()
        }
    }

    /// Runs one statement outside a transaction (`CREATE DATABASE` cannot run in one).
    package func execute(_ sql: String) async throws {
        _ = try await run { client in try await client.query(PostgresQuery(unsafeSQL: sql), logger: Self.quiet) }
    }

    /// Runs `body` in one transaction (committed when it returns, rolled back when it throws).
    package func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await run { client in
            try await client.withTransaction(logger: Self.quiet) { connection in try await body(connection) }
        }
    }

    /// Applies `migrations` in order, each once, recorded in `schema_migrations`; several replicas
    /// starting at once serialise on an advisory lock, so each migration runs exactly once.
    package func migrate(_ migrations: [(id: String, sql: [String])]) async throws {
        try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(726353)", logger: Self.quiet)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                logger: Self.quiet)
            var applied: Set<String> = []
            for try await id in try await connection.query("SELECT id FROM schema_migrations", logger: Self.quiet).decode(String.self) {
                applied.insert(id)
            }
            for migration in migrations where !applied.contains(migration.id) {
                for statement in migration.sql { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: Self.quiet) }
                try await connection.query("INSERT INTO schema_migrations (id) VALUES (\(migration.id))", logger: Self.quiet)
            }
        }
    }

    static let quiet = Logger(label: "intent-service.postgres.query")

    /// `url` as given, for logs and errors, whether or not it parses: the user information keeps
    /// only the user name, and the query (where `?password=` may be) is dropped. Written by hand
    /// rather than through `URLComponents`, which gives up on a password with an unescaped `#`,
    /// `/` or `?` (the URL is then unusable, and still must not be printed whole).
    package static func redacted(_ url: String) -> String {
        guard let separator = url.range(of: "://") else { return "postgres://(unreadable URL)" }
        var rest = url[separator.upperBound...]
        if let at = rest.lastIndex(of: "@") {
            let user = rest[..<at].prefix { $0 != ":" }
            rest = user + "@" + rest[rest.index(after: at)...]
        }
        return url[..<separator.upperBound] + String(rest.prefix { $0 != "?" })
    }
}

/// `postgres://user[:password]@host[:port]/database` (or `postgresql://`).
struct PostgresURL {
    var user: String
    var password: String?
    var host: String
    var port: Int
    var database: String

    /// The URL with the password left out.
    var display: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    init(_ url: String) throws {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
            let host = components.host, !host.isEmpty
        else {
            throw PostgresURLError("expected postgres://user[:password]@host[:port]/database")
        }
        let database = String(components.path.dropFirst())
        guard !database.isEmpty else { throw PostgresURLError("name the database: postgres://user@\(host)/DATABASE") }
        guard let user = components.user, !user.isEmpty else { throw PostgresURLError("name the user: postgres://USER@\(host)/\(database)") }
        self.user = user
        password = components.password?.removingPercentEncoding
        self.host = host
        port = components.port ?? 5432
        self.database = database
    }
}

/// The server did not answer in time: down, unreachable, or refusing the user.
package struct PostgresUnavailable: Error, CustomStringConvertible {
    package var url: String
    package var seconds: Double

    package var description: String {
        "\(url) did not answer within \(Int(seconds)) s: is the server up, and are the host, port, user, password (PGPASSWORD) and database right?"
    }
}

package struct PostgresURLError: Error, CustomStringConvertible {
    package var description: String
    init(_ description: String) { self.description = description }
}
