import Foundation
package import IntentChannels
package import IntentCore
package import Logging
import PostgresNIO
import ServiceLifecycle

/// Carries conversation events between the replicas that share a PostgreSQL state store. What
/// this process publishes goes to its own consoles at once (`hub`) and to the other replicas with
/// `NOTIFY intent_events`; what the others notify, received on a connection of its own that
/// `LISTEN`s, goes to this process's consoles. A notification names its sender (the hub's epoch),
/// so that a replica skips its own, and carries a batch of events as JSON, within `NOTIFY`'s
/// 8,000-byte payload (events carry ids, never a message's words).
///
/// Notifications sent while the listening connection is down are lost to this replica: the
/// relay logs the loss once, tells its consoles to refetch (`EventHub.reset`) when it happens and
/// again once it listens again, and reconnects with back-off (1 s doubling to 30 s).
/// Notifications this replica could not send are lost to the others: its next one tells them to
/// reset.
package final class PostgresEventRelay: ConversationEvents, Service {
    package static let channel = "intent_events"
    /// Under `NOTIFY`'s limit of 8,000 bytes, with room for the envelope.
    package static let payloadLimit = 7_000
    /// Events kept for sending while PostgreSQL does not take them; past this they are dropped
    /// (and the other replicas told to reset).
    static let queueLimit = 10_000

    package let hub: EventHub
    private let server: PostgresServer
    private let logger: Logger
    private let backoff: Backoff
    private let state = Locked(State())
    private let wake: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)

    private struct State {
        var outgoing: [ConversationEvent] = []
        /// Events were dropped or could not be sent: the others must reset.
        var lost = false
        var listening = false
        /// The listening connection failed and is not back yet (logged once).
        var recovering = false
        var sendFailing = false
    }

    /// What replicas send each other.
    struct Note: Codable {
        var replica: String
        var reset: Bool?
        var events: [ConversationEvent]
    }

    package init(server: PostgresServer, hub: EventHub, logger: Logger, backoff: Backoff = Backoff(first: 1, limit: 30)) {
        self.server = server
        self.hub = hub
        self.logger = logger
        self.backoff = backoff
        wake = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Whether the listening connection is up: other replicas' events reach this one's consoles.
    package var isListening: Bool { state.current.listening }

    package func publish(_ event: ConversationEvent) {
        hub.publish(event)
        state.withLock { s in
            if s.outgoing.count < Self.queueLimit {
                s.outgoing.append(event)
            } else {
                s.lost = true
            }
        }
        wake.continuation.yield()
    }

    /// Listens and sends until the service group shuts down; what is queued then is sent once
    /// more (unless PostgreSQL is refusing).
    package func run() async {
        await cancelWhenGracefulShutdown { [self] in
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.listen() }
                group.addTask { await self.send() }
            }
        }
        if !state.current.sendFailing { _ = await sendQueued() }
    }

    // MARK: Receiving

    private func listen() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await server.listen(on: Self.channel) {
                    let recovered = state.withLock { s in
                        s.listening = true
                        defer { s.recovering = false }
                        return s.recovering
                    }
                    if recovered {
                        logger.info("events relay: listening again; other replicas' events reach this one's consoles")
                        hub.reset()
                    }
                } receive: { payload in
                    received(payload)
                }
            } catch {
                if !state.current.recovering {
                    logger.warning(
                        "events relay: not listening to PostgreSQL; consoles on this replica miss other replicas' events until it is back (retrying)",
                        metadata: ["error": "\(error)"])
                }
            }
            guard !Task.isCancelled else { break }
            let wasListening = state.withLock { s in
                defer {
                    s.listening = false
                    s.recovering = true
                }
                return s.listening
            }
            if wasListening {
                hub.reset()
                failures = 0
            }
            failures += 1
            try? await Task.sleep(for: backoff.duration(attempt: failures))
        }
        state.withLock { $0.listening = false }
    }

    private func received(_ payload: String) {
        guard let note = try? JSONDecoder().decode(Note.self, from: Data(payload.utf8)) else {
            logger.debug("events relay: a notification that is not a batch of events was ignored")
            return
        }
        guard note.replica != hub.epoch else { return }
        if note.reset == true { hub.reset() }
        for event in note.events { hub.publish(event) }
    }

    // MARK: Sending

    /// Sends what is queued whenever something is; while PostgreSQL refuses, waits (back-off)
    /// between attempts, events queuing meanwhile.
    private func send() async {
        var failures = 0
        for await _ in wake.stream {
            while !(await sendQueued()), !Task.isCancelled {
                failures += 1
                try? await Task.sleep(for: backoff.duration(attempt: failures))
            }
            failures = 0
        }
    }

    /// Sends what is queued, in notifications under the payload limit; false when PostgreSQL
    /// refused (what was taken is lost to the others, who are told with the next notification).
    private func sendQueued() async -> Bool {
        while true {
            let (events, lost) = state.withLock { s in
                defer {
                    s.outgoing = []
                    s.lost = false
                }
                return (s.outgoing, s.lost)
            }
            guard !events.isEmpty || lost else { return true }
            do {
                for payload in Self.payloads(events, reset: lost, from: hub.epoch) {
                    _ = try await server.run { client in
                        try await client.query("SELECT pg_notify(\(Self.channel), \(payload))", logger: PostgresServer.quiet)
                    }
                }
                let recovered = state.withLock { s in
                    defer { s.sendFailing = false }
                    return s.sendFailing
                }
                if recovered { logger.info("events relay: notifying the other replicas again") }
            } catch {
                let first = state.withLock { s in
                    s.lost = true
                    defer { s.sendFailing = true }
                    return !s.sendFailing
                }
                if first {
                    logger.warning(
                        "events relay: PostgreSQL refused a notification; the other replicas' consoles miss this one's events until it is back (retrying)",
                        metadata: ["error": "\(error)"])
                }
                return false
            }
        }
    }

    /// `events` as notification payloads, each under `payloadLimit` bytes (an event alone is
    /// far smaller).
    package static func payloads(_ events: [ConversationEvent], reset: Bool, from replica: String) -> [String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func payload(_ batch: [ConversationEvent], reset: Bool) -> String {
            let note = Note(replica: replica, reset: reset ? true : nil, events: batch)
            return String(decoding: (try? encoder.encode(note)) ?? Data(), as: UTF8.self)
        }
        var payloads: [String] = []
        var batch: [ConversationEvent] = []
        var size = 0
        var reset = reset
        for event in events {
            let length = event.json.utf8.count + 1
            if !batch.isEmpty, size + length > payloadLimit {
                payloads.append(payload(batch, reset: reset))
                reset = false
                batch = []
                size = 0
            }
            batch.append(event)
            size += length
        }
        if !batch.isEmpty || reset { payloads.append(payload(batch, reset: reset)) }
        return payloads
    }
}
