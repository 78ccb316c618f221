package import Foundation
import IntentCore
import Logging

extension ChannelRuntime {
    /// Sends in flight at once (each on a libcurl worker thread).
    static let sendsInParallel = 16
    /// Retries of one message before it is marked failed (the first after 2 s, doubling to 10 minutes: about 3 hours).
    static let maxAttempts = 24

    /// The delay before retry number `attempt` (1-based): 2 s, 4 s, 8 s ... at most 10 minutes.
    package static func retryDelay(attempt: Int, first: TimeInterval = 2) -> TimeInterval {
        Backoff(first: first, limit: 600).delay(attempt: attempt)
    }

    /// Sends due outbox items, paced per channel; per customer one at a time and in order.
    ///
    /// Invariant: an item whose send the store could not record is never sent again by this
    /// process. Its outcome is kept in memory and written first, with back-off, and nothing new
    /// is sent until it is: a store that cannot record sends would otherwise see the same item
    /// due again at once, and the customer would get it again and again.
    func sendOutbox() async {
        let store = self.store
        var pacers: [String: SendPacer] = [:]
        for channel in channels { pacers[channel.name] = SendPacer(for: channel) }
        var failures = 0
        while !Task.isCancelled {
            if failures > 0 {
                await outboxWakeup.wait(timeout: Self.storeBackoff.duration(attempt: failures))
            }
            guard await recordUnrecorded(), !storeHealth.refusesWork else {
                failures += 1
                continue
            }
            let now = clock()
            let due: [OutboxItem]
            let nextDue: Date?
            do {
                due = try await store.dueOutbox(now: now, limit: 256)
                nextDue = try await store.nextOutboxDue()
            } catch {
                storeHealth.failed("reading the outbox", error: error)
                failures += 1
                continue
            }
            failures = 0
            var ready: [OutboxItem] = []
            var wake = nextDue ?? now.addingTimeInterval(5)
            for item in due {
                // A flow's webhook call and an item of an unconfigured channel are no platform's to pace.
                let paced = item.draft.kind == .webhook ? nil : item.recipient.channel
                if let paced, let later = pacers[paced]?.admit(customer: item.customer, isMessage: item.draft.isMessage, now: now) {
                    wake = min(wake, later)
                } else {
                    ready.append(item)
                }
            }
            if ready.isEmpty {
                let seconds = min(5, max(0.01, wake.timeIntervalSince(now)))
                await outboxWakeup.wait(timeout: .milliseconds(Int(seconds * 1_000)))
                continue
            }
            await withTaskGroup(of: Void.self) { group in
                var running = 0
                for item in ready {
                    if running == Self.sendsInParallel {
                        await group.next()
                        running -= 1
                    }
                    group.addTask { await self.send(item) }
                    running += 1
                }
            }
        }
    }

    private func send(_ item: OutboxItem) async {
        if item.draft.kind == .webhook {
            await callWebhook(item)
            return
        }
        guard let channel = channel(named: item.recipient.channel) else {
            // Queued for a channel since unconfigured: nothing can send it.
            let error = "no \(item.recipient.channel) channel is configured: its settings were removed after the message was queued"
            logger.error("\(item.recipient.channel): send failed for good", metadata: ["item": "\(item.id)", "error": "\(error)"])
            let recorded = UnrecordedOutcome.failed(at: clock(), error: error)
            if await record(recorded, of: item.id) { publishOutcome(of: item, recorded) } else { unrecorded.withLock { $0[item.id] = recorded } }
            return
        }
        let outcome: SendOutcome
        if let refused = Self.overLong(item, for: channel) {
            outcome = .failed(refused)
        } else {
            outcome = await channel.send(item)
        }
        let recorded: UnrecordedOutcome
        var unreachable: String?
        let now = clock()
        let attempt = item.attempts + 1
        switch outcome {
        case .sent(let id):
            if unhealthyReason(of: channel.name) != nil { reportProblem(nil, on: channel.name) }
            recorded = .sent(channelMessageID: id, at: now)
        case .retry(let error) where attempt < Self.maxAttempts:
            let next = now.addingTimeInterval(Self.retryDelay(attempt: attempt, first: settings.firstRetryDelay))
            logger.warning("\(channel.name): send failed, retrying", metadata: ["item": "\(item.id)", "attempt": "\(attempt)", "error": "\(error)"])
            recorded = .retry(at: next, error: error)
        case .retryAfter(let seconds, let error) where attempt < Self.maxAttempts:
            let next = now.addingTimeInterval(max(seconds, Self.retryDelay(attempt: attempt, first: settings.firstRetryDelay)))
            logger.warning(
                "\(channel.name): rate-limited, retrying", metadata: ["item": "\(item.id)", "after": "\(seconds)", "error": "\(error)"])
            recorded = .retry(at: next, error: error)
        case .retry(let error), .retryAfter(_, let error), .failed(let error):
            logger.error("\(channel.name): send failed for good", metadata: ["item": "\(item.id)", "error": "\(error)"])
            recorded = .failed(at: now, error: error)
        case .unreachable(let error):
            logger.warning("\(channel.name): the customer cannot be reached", metadata: ["item": "\(item.id)", "error": "\(error)"])
            recorded = .failed(at: now, error: error)
            unreachable = error
        case .credentialsRejected(let reason, let detail):
            // Loud, once per item, and never retried: no send can succeed until an operator acts.
            reportProblem(reason, on: channel.name)
            logger.critical("\(channel.name): \(reason)", metadata: ["error": "\(detail)"])
            recorded = .failed(at: now, error: detail)
        }
        if await record(recorded, of: item.id) {
            publishOutcome(of: item, recorded)
        } else {
            unrecorded.withLock { $0[item.id] = recorded }
        }
        if let unreachable { await markUnreachable(item.customer, on: channel.name, reason: unreachable) }
    }

    /// Why a text is not sent, when it is longer than the channel takes. Refused rather than
    /// cut: replies are split before they are queued, so such an item came another way (queued
    /// before the channel's limit was lowered), and a cut text would say less than was meant
    /// without anyone knowing. The failure is logged and shown on the item in the inbox.
    static func overLong(_ item: OutboxItem, for channel: any ChatChannel) -> String? {
        guard [.text, .buttons, .list].contains(item.draft.kind), !channel.fits(item.draft.body) else { return nil }
        let measure = channel.textMeasure
        return
            "the text is \(measure.length(of: item.draft.body)) \(measure.unit), over the \(channel.maxTextLength) \(channel.name) takes: not sent rather than cut"
    }

    /// A customer who blocked the business (or left the platform) is marked on their contact, for
    /// the people in the inbox: the tag `unreachable` and the attribute `unreachable_<channel>`.
    private func markUnreachable(_ customer: String, on channel: String, reason: String) async {
        let day = Date.ISO8601FormatStyle().year().month().day().format(clock())
        _ = await change(customer, "marking an unreachable customer", announcing: .conversation) { conversation in
            if !conversation.tags.contains("unreachable") { conversation.tags = (conversation.tags + ["unreachable"]).sorted() }
            conversation.attributes["unreachable_" + channel] = "\(day): \(reason)"
            return []
        }
    }

    /// Writes an outcome to the store; false (and the store reported unwritable) when it cannot.
    private func record(_ outcome: UnrecordedOutcome, of item: Int64) async -> Bool {
        let store = self.store
        do {
            // Not cancelled with the loop: a send that happened is recorded, even while shutting down.
            try await Task {
                switch outcome {
                case .sent(let id, let at): try await store.markSent(item, channelMessageID: id, at: at)
                case .retry(let at, let error): try await store.retryLater(item, at: at, error: error)
                case .failed(let at, let error): try await store.markFailed(item, at: at, error: error)
                }
            }.value
            storeHealth.succeeded()
            return true
        } catch {
            storeHealth.failed("recording a send's outcome", error: error)
            return false
        }
    }

    /// Writes the outcomes kept in memory; true when none is left.
    private func recordUnrecorded() async -> Bool {
        for (item, outcome) in unrecorded.current.sorted(by: { $0.key < $1.key }) {
            guard await record(outcome, of: item) else { return false }
            unrecorded.withLock { $0[item] = nil }
        }
        return true
    }
}

/// What became of a send, kept while the store cannot record it.
enum UnrecordedOutcome: Sendable, Equatable {
    case sent(channelMessageID: String?, at: Date)
    case retry(at: Date, error: String)
    case failed(at: Date, error: String)
}
