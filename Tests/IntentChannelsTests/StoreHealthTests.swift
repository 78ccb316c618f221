import IntentChannels
import Logging
import Testing

/// What the channel's loops report about the state store becomes `/readyz`'s answer.
struct StoreHealthTests {
    struct DiskFull: Error {}

    @Test func aFailedWriteMarksTheStoreUntilAWriteSucceeds() {
        let health = StoreHealth(logger: Logger(label: "test"))
        health.failed("reading the outbox", error: DiskFull())
        #expect(health.problem == .unwritable("reading the outbox"))
        #expect(!health.refusesWork)
        health.succeeded()
        #expect(health.problem == nil)
    }

    /// Shutdown cancels the loops mid-write: that is no store failure, and /readyz stays as it was.
    @Test func aCancelledWriteIsNoFailure() {
        let health = StoreHealth(logger: Logger(label: "test"))
        health.failed("reading the outbox", error: CancellationError())
        #expect(health.problem == nil)
    }

    @Test func aLostFileStaysLostAndRefusesWork() {
        let health = StoreHealth(logger: Logger(label: "test"))
        health.lost("the state file was replaced")
        health.failed("storing a webhook", error: DiskFull())
        health.succeeded()
        #expect(health.problem == .lost("the state file was replaced"))
        #expect(health.refusesWork)
    }
}
