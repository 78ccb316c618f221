import Foundation
import IntentChannels
import IntentCore
import Testing

/// The consoles' event hub: live fan-out, resuming by `Last-Event-ID` from its ring, `reset`
/// where it cannot, slow consoles dropped instead of buffered, heartbeats, and closing.
@Suite struct EventHubTests {
    static func event(_ customer: String, _ message: String? = nil, _ type: ConversationEvent.Kind = .message) -> ConversationEvent {
        ConversationEvent(type, conversation: customer, message: message, at: Date(timeIntervalSince1970: 1_790_000_000.25))
    }

    /// The events in `items` (resets and heartbeats left out).
    static func events(_ items: [EventHub.Item]?) -> [String] {
        (items ?? []).compactMap { item in
            if case .event(let delivery) = item { return delivery.event.message ?? delivery.event.conversation }
            return nil
        }
    }

    @Test func everySubscriberGetsEachEventOnceInOrderWithIncreasingIds() async throws {
        let hub = EventHub(epoch: "e1")
        let a = hub.subscribe()
        let b = hub.subscribe()
        hub.publish(Self.event("c1", "in:m1"))
        hub.publish(Self.event("c1", "out:2"))
        let first = await a.next()
        #expect(Self.events(first) == ["in:m1", "out:2"])
        guard case .event(let delivery)? = first?.first else {
            Issue.record("an event first")
            return
        }
        #expect(delivery.id == "e1-1")
        #expect(delivery.json == #"{"at":"2026-09-21T14:13:20.250Z","conversation":"c1","message":"in:m1","type":"message"}"#)
        #expect(Self.events(await b.next()) == ["in:m1", "out:2"])
        // A waiting subscriber is woken by the next event.
        async let waiting = a.next()
        hub.publish(Self.event("c2"))
        #expect(Self.events(await waiting) == ["c2"])
        #expect(hub.subscriberCount == 2)
    }

    /// A web chat visitor's stream subscribes to its conversation only: other conversations'
    /// events neither wake it nor fill its buffer, while heartbeats still reach it.
    @Test func aSubscriberOfOneConversationGetsItsEventsOnly() async throws {
        let hub = EventHub(bufferSize: 2, epoch: "e1")
        let visitor = hub.subscribe(conversation: "webchat:shop:v1")
        let console = hub.subscribe()
        for n in 1...5 { hub.publish(Self.event("c\(n)")) }
        hub.publish(Self.event("webchat:shop:v1", "out:7"))
        #expect(Self.events(await visitor.next()) == ["out:7"])
        #expect(hub.droppedCount == 1, "the console, not the visitor, fell behind")
        _ = console
        hub.heartbeat()
        #expect(await visitor.next() == [.heartbeat])
        let resumed = hub.subscribe(after: "e1-1", conversation: "webchat:shop:v1")
        #expect(Self.events(await resumed.next()) == ["out:7"])
    }

    @Test func aConsoleResumesAfterItsLastEventIdFromTheRing() async throws {
        let hub = EventHub(ringSize: 4, epoch: "e1")
        for n in 1...3 { hub.publish(Self.event("c", "in:\(n)")) }
        let resumed = hub.subscribe(after: "e1-1")
        #expect(Self.events(await resumed.next()) == ["in:2", "in:3"])
        // Resuming from the newest id replays nothing: the next event is live.
        let current = hub.subscribe(after: "e1-3")
        hub.publish(Self.event("c", "in:4"))
        #expect(Self.events(await current.next()) == ["in:4"])
        #expect(Self.events(await resumed.next()) == ["in:4"])
    }

    @Test func anIdTheRingNoLongerHoldsOrFromAnotherProcessGetsAReset() async throws {
        let hub = EventHub(ringSize: 3, epoch: "e1")
        for n in 1...5 { hub.publish(Self.event("c", "in:\(n)")) }
        // e1-1 is gone (the ring holds 3, 4, 5); e1-2 is the last one a replay can start after.
        for gone in ["e1-1", "x9-3", "e1-99", "garbage", ""] {
            #expect(await hub.subscribe(after: gone).next() == [.reset(id: "e1-5")], "\(gone)")
        }
        #expect(Self.events(await hub.subscribe(after: "e1-2").next()) == ["in:3", "in:4", "in:5"])
    }

    @Test func aResetTellsEveryConsoleToRefetchAndForgetsTheRing() async throws {
        let hub = EventHub(epoch: "e1")
        hub.publish(Self.event("c", "in:1"))
        let idle = hub.subscribe()
        let behind = hub.subscribe()
        async let waiting = idle.next()
        hub.publish(Self.event("c", "in:2"))
        #expect(Self.events(await waiting) == ["in:2"])
        hub.reset()
        // Events not read yet are moot: the console refetches.
        #expect(await behind.next() == [.reset(id: "e1-2")])
        #expect(await idle.next() == [.reset(id: "e1-2")])
        // Ids from before the reset cannot be resumed; the reset's own id can.
        #expect(await hub.subscribe(after: "e1-1").next() == [.reset(id: "e1-2")])
        let after = hub.subscribe(after: "e1-2")
        hub.publish(Self.event("c", "in:3"))
        #expect(Self.events(await after.next()) == ["in:3"])
    }

    @Test func aConsoleThatDoesNotReadIsDroppedWithAResetNotBuffered() async throws {
        let hub = EventHub(bufferSize: 3, epoch: "e1")
        let ended = Locked(0)
        let slow = hub.subscribe { ended.withLock { $0 += 1 } }
        let fast = hub.subscribe()
        for n in 1...10 {
            hub.publish(Self.event("c", "in:\(n)"))
            #expect(Self.events(await fast.next()) == ["in:\(n)"])
        }
        #expect(hub.droppedCount == 1)
        #expect(ended.current == 1)
        // Its stream's end: one reset (at the event that did not fit), then nothing.
        #expect(await slow.next() == [.reset(id: "e1-4")])
        #expect(await slow.next() == nil)
        #expect(hub.subscriberCount == 1)
        // A replay longer than the buffer is read first, not counted against it.
        let replaying = hub.subscribe(after: "e1-2")
        hub.publish(Self.event("c", "in:11"))
        #expect(Self.events(await replaying.next()) == (3...11).map { "in:\($0)" })
    }

    @Test func heartbeatsReachConsolesWithNothingToRead() async throws {
        let hub = EventHub(epoch: "e1")
        let idle = hub.subscribe()
        let busy = hub.subscribe()
        hub.publish(Self.event("c", "in:1"))
        _ = await idle.next()
        hub.heartbeat()
        #expect(await idle.next() == [.heartbeat])
        // One with events waiting needs no heartbeat.
        #expect(Self.events(await busy.next()) == ["in:1"])
        hub.heartbeat()
        hub.heartbeat()
        #expect(await busy.next() == [.heartbeat])

        // The service sends them every interval, until it stops; then every stream ends.
        let ticking = EventHub(heartbeatInterval: .milliseconds(20), epoch: "e2")
        let console = ticking.subscribe()
        let run = Task { await ticking.run() }
        #expect(await console.next() == [.heartbeat])
        #expect(await console.next() == [.heartbeat])
        run.cancel()
        await run.value
        #expect(await console.next() == nil)
        #expect(await ticking.subscribe().next() == nil)
    }

    @Test func closingEndsWaitingStreamsAndCallsTheirEnd() async throws {
        let hub = EventHub(epoch: "e1")
        let ended = Locked(0)
        let console = hub.subscribe { ended.withLock { $0 += 1 } }
        async let waiting = console.next()
        hub.close()
        #expect(await waiting == nil)
        #expect(ended.current == 1)
    }

    @Test func aCancelledWaitEndsTheSubscription() async throws {
        let hub = EventHub(epoch: "e1")
        let console = hub.subscribe()
        let reader = Task { await console.next() }
        reader.cancel()
        #expect(await reader.value == nil)
        #expect(hub.subscriberCount == 0)
        // Letting go of a subscription ends it too.
        do { _ = hub.subscribe() }
        #expect(hub.subscriberCount == 0)
    }

    @Test func anEventsJSONCarriesIdsNeverWordsAndReadsBack() throws {
        let event = ConversationEvent(.status, conversation: "8613900000001", message: "out:42", status: "delivered", agent: "Lena", at: Date())
        let json = event.json
        #expect(!json.contains("text"))
        let read = try JSONDecoder().decode(ConversationEvent.self, from: Data(json.utf8))
        #expect(read.type == .status && read.message == "out:42" && read.status == "delivered" && read.agent == "Lena")
        #expect(abs(read.at.timeIntervalSince(event.at)) < 0.001)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(
                ConversationEvent.self, from: Data(#"{"type":"gossip","conversation":"c","at":"2026-01-01T00:00:00.000Z"}"#.utf8))
        }
    }
}
