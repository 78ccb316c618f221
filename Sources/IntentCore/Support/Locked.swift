import Foundation

/// A value shared between threads, guarded by a lock.
///
/// Used instead of `Synchronization.Mutex`: copying a large struct out of a
/// `Mutex` inside `withLock` was miscompiled in debug builds here (Swift 6.3,
/// Linux: an over-release when the value was later destroyed), while this
/// plain class-and-lock form is well trodden.
package final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    package init(_ value: Value) {
        self.value = value
    }

    package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    package var current: Value { withLock { $0 } }
}
