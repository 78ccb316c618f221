import IntentCore

/// A store opened once per process, on first use: concurrent first callers share one attempt
/// (never two connection pools), and a failed attempt is forgotten, so the next call tries again.
final class OpenedOnce<Value: Sendable>: Sendable {
    private let opening = Locked<Task<Value, Error>?>(nil)
    private let opened = Locked<Value?>(nil)

    /// The value, once an attempt has succeeded.
    var current: Value? { opened.current }

    func value(_ open: @escaping @Sendable () async throws -> Value) async throws -> Value {
        if let value = opened.current { return value }
        let attempt = opening.withLock { task in
            if let task { return task }
            let started = Task { try await open() }
            task = started
            return started
        }
        do {
            let value = try await attempt.value
            opened.withLock { $0 = value }
            return value
        } catch {
            opening.withLock { if $0 == attempt { $0 = nil } }
            throw error
        }
    }
}
