public import Testing

/// Waits until `condition` holds: the test waits for an event, not for a time. The limit only
/// guards against a hang, so it is generous (a machine busy with a build may be slow); past it
/// the test fails naming `what`, with the end of the logs of the servers the test drives
/// (`ServerLogs.tail`), so that a failure seen once in CI can be told apart from a bug.
public func eventually(
    _ what: String, limit: Duration = .seconds(180), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + limit
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("\(what): did not happen within \(limit)\(ServerLogs.report())", sourceLocation: sourceLocation)
            return
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// The logs of the servers a test drives, for its failure messages: set by whatever starts
/// them (in process or spawned), read when a wait runs out.
public enum ServerLogs {
    @TaskLocal public static var tail: (@Sendable () -> String)?

    /// How much of the end of the logs a failure shows.
    static let shown = 12_000

    /// The logs' end, introduced, or nothing when no server is known.
    public static func report() -> String {
        guard let tail, case let text = tail(), !text.isEmpty else { return "" }
        return "\n--- the end of the servers' logs ---\n" + String(text.suffix(shown))
    }
}
