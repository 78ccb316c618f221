import Foundation
import IntentPostgres
public import Testing

/// A fresh database on the test server (`INTENT_TEST_POSTGRES`, started by scripts/test or
/// `.ci/run` with scripts/postgres), one per store the contract asks for.
public enum PostgresTestDatabase {
    public static let url = ProcessInfo.processInfo.environment["INTENT_TEST_POSTGRES"]

    /// Whether the PostgreSQL tests run: with a server configured, and always under CI, where a
    /// missing server fails them (`fresh()` records it) instead of skipping them.
    public static let enabled = url != nil || ProcessInfo.processInfo.environment["CI"] != nil
    public static let skipReason: Comment = "no PostgreSQL server: set INTENT_TEST_POSTGRES (scripts/postgres start)"

    /// The URL of a new, empty database on the test server.
    public static func fresh() async throws -> String {
        guard let url else {
            Issue.record("INTENT_TEST_POSTGRES is not set: under CI the PostgreSQL checks must run")
            throw NoServer()
        }
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try await PostgresServer.connect(url: url).execute("CREATE DATABASE \(name)")
        return url.replacingOccurrences(of: "/intent", with: "/\(name)", options: .backwards)
    }

    struct NoServer: Error {}
}
