public import Testing

/// Waits until `condition` holds: the test waits for an event, not for a time. The limit only
/// guards against a hang, so it is generous (a machine busy with a build may be slow); past it
/// the test fails naming `what`.
public func eventually(
    _ what: String, limit: Duration = .seconds(180), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + limit
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("\(what): did not happen within \(limit)", sourceLocation: sourceLocation)
            return
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}
