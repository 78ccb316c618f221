import Foundation
import IntentTestSupport
import Testing

@testable import IntentChannels

/// The wake-up the channel loops sleep on: a signal ends a wait, early or kept for the next one,
/// and every wait ends by its timeout, however soon the timer fires.
@Suite struct WakeupTests {
    /// Runs `body`, failing (rather than hanging the suite) if it has not returned within `limit`:
    /// a hang guard, not a timing assertion.
    func returns(within limit: Duration = .seconds(120), _ what: String, _ body: @escaping @Sendable () async -> Void) async {
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await body()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        #expect(finished, "\(what) did not return within \(limit)")
    }

    @Test func aSignalWithNobodyWaitingIsKeptOnce() async {
        let wakeup = Wakeup()
        wakeup.signal()
        wakeup.signal()
        await returns("a wait after two signals") { await wakeup.wait(timeout: .seconds(3_600)) }
        // Kept once: the next wait sleeps until its timeout.
        let started = ContinuousClock.now
        await wakeup.wait(timeout: .milliseconds(50))
        #expect(ContinuousClock.now - started >= .milliseconds(50))
    }

    @Test func aSignalEndsAWaitInProgress() async {
        let wakeup = Wakeup()
        await returns("a signalled wait") {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await wakeup.wait(timeout: .seconds(3_600)) }
                // Signalled until the wait has taken it (a signal before the wait starts is kept too).
                group.addTask {
                    for _ in 0..<50 {
                        wakeup.signal()
                        try? await Task.sleep(for: .milliseconds(20))
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// A timer that fires before its wait is registered ends that wait all the same. With
    /// timeouts of a nanosecond the timer often wins the race, as it did now and then on a loaded
    /// machine with the outbox's 10 ms waits (the loop then slept until the next message arrived).
    @Test func everyWaitEndsByItsTimeoutHoweverSoonTheTimerFires() async {
        let wakeup = Wakeup()
        await returns("20,000 waits of a nanosecond") {
            for _ in 0..<20_000 { await wakeup.wait(timeout: .nanoseconds(1)) }
        }
    }

    @Test func cancellingTheWaitingTaskEndsTheWait() async {
        let wakeup = Wakeup()
        await returns("a cancelled wait") {
            let waiting = Task { await wakeup.wait(timeout: .seconds(3_600)) }
            waiting.cancel()
            await waiting.value
        }
    }
}
