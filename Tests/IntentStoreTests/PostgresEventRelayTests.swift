import Foundation
import IntentChannels
import IntentCore
import IntentPostgres
import IntentTestSupport
import Logging
import Testing

/// The replicas' event relay on one PostgreSQL: what one replica publishes reaches the other's
/// consoles once (and its own once), in order, however many at once; a lost listening
/// connection resets the consoles and listens again.
@Suite(.serialized, .enabled(if: PostgresTestDatabase.enabled, PostgresTestDatabase.skipReason))
struct PostgresEventRelayTests {
    static func event(_ message: String) -> ConversationEvent {
        ConversationEvent(.message, conversation: "8613900000001", message: message, at: Date())
    }

    /// What the console reads next, or nil past `limit` (the subscription then ends).
    static func next(_ console: EventSubscription, limit: Duration = .seconds(10)) async -> [EventHub.Item]? {
        await withTaskGroup(of: [EventHub.Item]?.self) { group in
            group.addTask { await console.next() }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    static func messages(_ items: [EventHub.Item]?) -> [String] {
        (items ?? []).compactMap { item in
            if case .event(let delivery) = item { return delivery.event.message }
            return nil
        }
    }

    /// Reads until `count` events have come (or nothing more does).
    static func messages(_ console: EventSubscription, count: Int) async -> [String] {
        var read: [String] = []
        while read.count < count, let items = await next(console) { read += messages(items) }
        return read
    }

    @Test func replicasPassEventsOnOnceAndResetAfterALostConnection() async throws {
        let url = try await PostgresTestDatabase.fresh()
        let logs = Logger(label: "test")
        let (serverA, serverB) = (try await PostgresServer.connect(url: url), try await PostgresServer.connect(url: url))
        let a = PostgresEventRelay(
            server: serverA, hub: EventHub(bufferSize: 1_000, epoch: "a"), logger: logs, backoff: Backoff(first: 0.05, limit: 0.2))
        let b = PostgresEventRelay(
            server: serverB, hub: EventHub(bufferSize: 1_000, epoch: "b"), logger: logs, backoff: Backoff(first: 0.05, limit: 0.2))
        let runs = [Task { await a.run() }, Task { await b.run() }]
        defer { for run in runs { run.cancel() } }
        try await eventually("both relays listening") { a.isListening && b.isListening }
        let onA = a.hub.subscribe()
        let onB = b.hub.subscribe()

        b.publish(Self.event("in:1"))
        #expect(Self.messages(await Self.next(onB)) == ["in:1"])
        #expect(Self.messages(await Self.next(onA)) == ["in:1"])
        // 500 at once: several notifications, every event once, in order, on both.
        let many = (2...501).map { "out:\($0)" }
        for message in many { a.publish(Self.event(message)) }
        #expect(await Self.messages(onA, count: many.count) == many)
        #expect(await Self.messages(onB, count: many.count) == many)
        // Nothing was delivered twice: the next thing either reads is the next event.
        a.publish(Self.event("in:502"))
        #expect(Self.messages(await Self.next(onB)) == ["in:502"])
        #expect(Self.messages(await Self.next(onA)) == ["in:502"])

        // The listening connections are cut: the consoles refetch, the relays listen again.
        try await serverA.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query ILIKE 'LISTEN%'")
        guard case .reset? = await Self.next(onA)?.first else {
            Issue.record("a lost listening connection resets the consoles")
            return
        }
        try await eventually("both relays listening again") { a.isListening && b.isListening }
        // Events sent meanwhile may have been missed: a second reset once listening again.
        var read: [EventHub.Item] = []
        b.publish(Self.event("in:503"))
        while !Self.messages(read).contains("in:503"), let items = await Self.next(onA) { read += items }
        #expect(Self.messages(read) == ["in:503"])
    }

    @Test func batchesStayUnderTheNotificationLimitAndSayWhenEventsWereLost() throws {
        let events = (1...300).map {
            ConversationEvent(.status, conversation: "8613900000\($0)", message: "out:\($0)", status: "delivered", at: Date())
        }
        let payloads = PostgresEventRelay.payloads(events, reset: true, from: "r1")
        #expect(payloads.count > 1)
        var read: [ConversationEvent] = []
        for (n, payload) in payloads.enumerated() {
            #expect(payload.utf8.count < 8_000)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any])
            #expect(object["replica"] as? String == "r1")
            // Only the first tells the others to reset.
            #expect((object["reset"] as? Bool ?? false) == (n == 0))
            let batch = try JSONSerialization.data(withJSONObject: object["events"] ?? [])
            read += try JSONDecoder().decode([ConversationEvent].self, from: batch)
        }
        #expect(read.map(\.message) == events.map(\.message))
        #expect(PostgresEventRelay.payloads([], reset: false, from: "r1").isEmpty)
        #expect(PostgresEventRelay.payloads([], reset: true, from: "r1").count == 1)
    }
}
