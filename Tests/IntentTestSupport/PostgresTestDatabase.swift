import Foundation
import IntentPostgres
import Testing

/// A fresh database on the test server (`INTENT_TEST_POSTGRES`, started by scripts/test or
/// `.ci/run` with scripts/postgres), one per store the contract asks for.
public enum PostgresTestDatabase {
    public static let url = ProcessInfo.processInfo.environment["INTENT_TEST_POSTGRES"]
    static let admin: PostgresServer? = url.flatMap { try? PostgresServer(url: $0) }

    /// nil when no server is configured (then the test says so, and fails under CI).
    public static func fresh() throws -> String? {
        guard let url, let admin else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("INTENT_TEST_POSTGRES is not set: under CI the PostgreSQL checks must run") }
            return nil
        }
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try admin.execute("CREATE DATABASE \(name)")
        return url.replacingOccurrences(of: "/intent", with: "/\(name)", options: .backwards)
    }
}

