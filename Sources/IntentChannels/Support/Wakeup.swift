import IntentCore

/// Wakes a background loop early: `signal()` ends the current (or next) `wait`, which
/// otherwise returns after its timeout. A signal with nobody waiting is kept, once.
///
/// Invariant: a wait's timer can fire before the wait has registered its continuation (the
/// waiting thread preempted between the two on a loaded machine, with a timeout of 10 ms). The
/// timer then leaves its wait's number in `expired`, and the registration returns at once:
/// without that, the loop slept until the next signal, and on a quiet server none may come.
final class Wakeup: Sendable {
    private struct State {
        var signalled = false
        var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
        var nextID = 0
        /// The newest wait whose timer (or cancellation) fired before it was registered.
        var expired = 0
    }

    private let state = Locked(State())

    func signal() {
        let continuation = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let waiter = s.waiter else {
                s.signalled = true
                return nil
            }
            s.waiter = nil
            return waiter.continuation
        }
        continuation?.resume()
    }

    /// Returns on a signal, after `timeout`, or when the task is cancelled.
    func wait(timeout: Duration) async {
        let id = state.withLock { s -> Int in
            s.nextID += 1
            return s.nextID
        }
        let timer = Task { [self] in
            try? await Task.sleep(for: timeout)
            wake(id)
        }
        defer { timer.cancel() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.expired == id { return true }
                    if s.signalled || Task.isCancelled {
                        s.signalled = false
                        return true
                    }
                    s.waiter = (id, continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            wake(id)
        }
    }

    private func wake(_ id: Int) {
        let continuation = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let waiter = s.waiter, waiter.id == id else {
                // Not registered yet (or over already): the registration finds it expired.
                s.expired = max(s.expired, id)
                return nil
            }
            s.waiter = nil
            return waiter.continuation
        }
        continuation?.resume()
    }
}
