package import Foundation
import IntentCore
package import IntentHTTP
package import Logging
import ServiceLifecycle

/// Runs the conversations of every configured chat channel: stores what their webhooks deliver,
/// decides replies with the automation around the matcher, and sends them from one durable
/// outbox, paced per channel. The same for every channel: what is a channel's own (reading a
/// webhook, calling its API) is its `ChatChannel`; a reply goes back through the channel the
/// customer wrote on (`OutboxItem.recipient`).
///
/// The path of a message: `receive` has the channel read and check the webhook and stores its
/// messages (a duplicate message id is counted and dropped by the store's unique key), then the
/// webhook is answered; the inbox loop asks `decide` (the matcher, through the server's wiring)
/// and queues the replies in the same transaction that marks the message processed; the outbox
/// loop has the channel send them, paced, retrying what the channel says is temporary. A crash
/// at any point leaves either an unprocessed message or unsent replies in the store, which the
/// next start picks up.
///
/// Store calls are async (their I/O on the store's own threads); sends run on the channel's
/// transport (libcurl's threads).
package final class ChannelRuntime: Service {
    /// The matcher's answer; with `rulesOnly`, only the `before` keyword rules are checked (a
    /// running flow takes the message unless a hand-over rule claims it: no embedding is spent).
    /// `language` is the customer's language as known apart from the message's words
    /// (`ContactLanguage.known`): the answer's language when the words do not tell one.
    package typealias Decide = @Sendable (_ text: String, _ customer: String, _ rulesOnly: Bool, _ language: String?) async -> BotAnswer
    package typealias Clock = @Sendable () -> Date
    /// The answer of the entry a customer picked from a "did you mean" choice ("" for
    /// "something else"), with the picked option's words and the question the choice was
    /// offered for (when the store still has it).
    package typealias Pick = @Sendable (_ entry: String, _ words: String?, _ question: String?) async -> BotAnswer

    /// Retries and retention (pacing is each channel's: `ChatChannel.messagesPerSecond`).
    package struct Settings: Sendable {
        /// Messages, outbox items and statuses older than this are deleted (hourly).
        package var retentionDays: Int
        /// The first retry of a failed send comes after this; then doubling, to ten minutes.
        package var firstRetryDelay: TimeInterval

        package init(retentionDays: Int = 90, firstRetryDelay: TimeInterval = 2) {
            self.retentionDays = retentionDays
            self.firstRetryDelay = firstRetryDelay
        }
    }

    /// The channels served, each under its `name` (unique).
    package let channels: [any ChatChannel]
    private let channelsByName: [String: any ChatChannel]
    /// How long each channel lets the business write after a customer's message.
    package let replyWindows: ReplyWindows
    /// How long a text each channel takes: replies are split to it before they are queued.
    let splitter: ReplySplitter
    package let settings: Settings
    let store: any ConversationStore
    let policy: ConversationPolicy
    let logger: Logger
    let clock: Clock
    let decide: Decide
    let pick: Pick
    /// The flows in service (replaced on reload) and how their webhook steps are called.
    package let flows: FlowLibrary
    let flowWebhook: FlowWebhook
    let webhookTransport: (any HTTPTransport)?
    /// The runner built for the flow set in service, rebuilt when the set changes.
    private let runnerCache = Locked<(set: FlowSet, runner: FlowRunner)?>(nil)
    let inboxWakeup = Wakeup()
    let outboxWakeup = Wakeup()
    /// Whether the state store takes writes; `/readyz` reads it.
    package let storeHealth: StoreHealth
    /// The platform's approved templates, when the channel sends templates (`TemplateMessaging`).
    package let templates: TemplateCatalog?
    /// Where committed changes are announced (the consoles' live view), or nil.
    let events: (any ConversationEvents)?
    /// Sends whose outcome the store could not record: never sent again, recorded first.
    let unrecorded = Locked<[Int64: UnrecordedOutcome]>([:])
    /// Answers decided for messages whose replies could not be stored yet: a retry does not
    /// ask the matcher (or a paid chat model) again, nor count the message twice.
    let decided = Locked<[String: BotAnswer?]>([:])
    private let snapshot = Locked(ChannelStatistics())
    private let problems = Locked<[String: String]>([:])
    private let timestampWarned = Locked(false)

    /// - Parameters:
    ///   - storeHealth: shared with the other users of the same state store (the console's
    ///     edits); a new one when nil.
    ///   - events: where committed changes are announced (`GET /v1/events`); none when nil.
    package init(
        channels: [any ChatChannel], settings: Settings, store: any ConversationStore, policy: ConversationPolicy, logger: Logger,
        storeHealth: StoreHealth? = nil, events: (any ConversationEvents)? = nil, flows: FlowLibrary = FlowLibrary(),
        flowWebhook: FlowWebhook = FlowWebhook(secret: nil), webhookTransport: (any HTTPTransport)? = nil, clock: @escaping Clock = { Date() },
        pick: @escaping Pick = { _, _, _ in BotAnswer(answer: nil, chosen: false) }, decide: @escaping Decide
    ) {
        self.events = events
        self.pick = pick
        self.flows = flows
        self.flowWebhook = flowWebhook
        self.webhookTransport = webhookTransport
        precondition(!channels.isEmpty, "a channel runtime needs a channel")
        self.channels = channels
        channelsByName = Dictionary(channels.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        precondition(channelsByName.count == channels.count, "two channels of one name")
        replyWindows = ReplyWindows(channels)
        splitter = ReplySplitter(channels)
        self.settings = settings
        self.store = store
        self.policy = policy
        self.logger = logger
        self.clock = clock
        self.decide = decide
        self.storeHealth = storeHealth ?? StoreHealth(logger: logger)
        templates = channels.lazy.compactMap { $0 as? any TemplateMessaging }.first.map {
            TemplateCatalog(source: $0, clock: clock, logger: logger)
        }
    }

    /// One channel's runtime (the tests', and a service with one channel).
    package convenience init(
        channel: any ChatChannel, settings: Settings, store: any ConversationStore, policy: ConversationPolicy, logger: Logger,
        storeHealth: StoreHealth? = nil, events: (any ConversationEvents)? = nil, flows: FlowLibrary = FlowLibrary(),
        flowWebhook: FlowWebhook = FlowWebhook(secret: nil), webhookTransport: (any HTTPTransport)? = nil, clock: @escaping Clock = { Date() },
        pick: @escaping Pick = { _, _, _ in BotAnswer(answer: nil, chosen: false) }, decide: @escaping Decide
    ) {
        self.init(
            channels: [channel], settings: settings, store: store, policy: policy, logger: logger, storeHealth: storeHealth, events: events,
            flows: flows, flowWebhook: flowWebhook, webhookTransport: webhookTransport, clock: clock, pick: pick, decide: decide)
    }

    /// The first channel: the one a single-channel service runs.
    package var channel: any ChatChannel { channels[0] }

    /// The channel of that name, when it is configured.
    package func channel(named name: String) -> (any ChatChannel)? { channelsByName[name] }

    /// The flows in service, with the hand-over mute.
    var flowRunner: FlowRunner {
        let (set, engine) = flows.current
        if let cached = runnerCache.current, cached.set == set { return cached.runner }
        let runner = FlowRunner(set, engine: engine, muteMinutes: policy.automation.handover.muteMinutes)
        runnerCache.withLock { $0 = (set, runner) }
        return runner
    }

    /// Back-off of the loops while the store fails: 2 s, doubling to a minute.
    static let storeBackoff = Backoff(first: 2, limit: 60)

    // MARK: Webhooks

    package enum Receipt: Sendable, Equatable {
        /// Stored: answer 200.
        case accepted(new: Int, duplicates: Int, statuses: Int)
        /// No signature header: 401, saying which.
        case unsigned(String)
        /// A signature that does not verify: 403, saying against which setting.
        case forged(String)
        /// Signed but not a webhook payload: 400 (the platforms do not retry a 4xx).
        case malformed(String)
        /// The store failed: 503, so that the platform delivers it again.
        case unavailable(String)
    }

    /// Checks and stores one webhook delivery of the first channel (a single-channel service's).
    package func receive(body: [UInt8], headers: [String: String]) async -> Receipt {
        await receive(on: channel, body: body, headers: headers)
    }

    /// Checks and stores one webhook delivery of `channel` (`headers` with lower-case names).
    /// Nothing of an unsigned or forged body is read.
    package func receive(on channel: any ChatChannel, body: [UInt8], headers: [String: String]) async -> Receipt {
        let now = clock()
        let batch: InboundBatch
        switch channel.read(webhook: body, headers: headers, receivedAt: now) {
        case .unsigned(let reason): return .unsigned(reason)
        case .forged(let reason): return .forged(reason)
        case .malformed(let reason): return .malformed(reason)
        case .batch(let read): batch = read
        }
        return await receive(batch, on: channel, at: now)
    }

    /// Stores messages `channel` has already read and checked (the web chat's visitors post
    /// them to the service's own routes; there is no platform webhook to read).
    package func receive(_ batch: InboundBatch, on channel: any ChatChannel) async -> Receipt {
        await receive(batch, on: channel, at: clock())
    }

    private func receive(_ batch: InboundBatch, on channel: any ChatChannel, at now: Date) async -> Receipt {
        if batch.isEmpty { return .accepted(new: 0, duplicates: 0, statuses: 0) }
        if batch.unusableTimestamps > 0,
            timestampWarned.withLock({ warned in
                defer { warned = true }
                return !warned
            })
        {
            logger.warning(
                "\(channel.name): a webhook carried timestamps that are not a time (unparsable, before 2009, or more than a day ahead): the receipt time stands in for them; further ones are not logged",
                metadata: ["count": "\(batch.unusableTimestamps)"])
        }
        if storeHealth.refusesWork {
            // Stored now, the messages would be lost at the next start: the platform keeps them until then.
            return .unavailable(storeHealth.problem?.reason ?? "the conversation store is unavailable")
        }
        do {
            let fresh = try await store.receive(batch.messages, statuses: batch.statuses, at: now)
            storeHealth.succeeded()
            if !fresh.isEmpty { inboxWakeup.signal() }
            publishReceived(fresh, statuses: batch.statuses, at: now)
            return .accepted(new: fresh.count, duplicates: batch.messages.count - fresh.count, statuses: batch.statuses.count)
        } catch {
            storeHealth.failed("storing a webhook", error: error)
            logger.debug(
                "\(channel.name): the webhook could not be stored; answering 503 so that it is delivered again", metadata: ["error": "\(error)"])
            return .unavailable("the conversation store is unavailable")
        }
    }

    // MARK: Running

    /// Processes received messages and sends the outbox until the service group shuts down (or
    /// the task is cancelled); picks up whatever a previous run left (unprocessed messages,
    /// unsent replies).
    package func run() async {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.processInbox() }
                group.addTask { await self.sendOutbox() }
                group.addTask { await self.maintain() }
            }
        }
    }

    /// The channel's figures as of the last refresh (every half second while running).
    package var statistics: ChannelStatistics { snapshot.current }

    /// Why sends cannot succeed (credentials a channel rejected), or nil when every channel is healthy.
    package var unhealthyReason: String? {
        let current = problems.current
        return current.isEmpty ? nil : current.keys.sorted().compactMap { current[$0] }.joined(separator: "; ")
    }

    /// Why one channel's sends cannot succeed, or nil while it is healthy.
    package func unhealthyReason(of channel: String) -> String? { problems.current[channel] }

    func refreshStatistics() async {
        let store = self.store
        if let figures = try? await store.statistics() {
            snapshot.withLock { $0 = figures }
        }
    }

    func reportProblem(_ reason: String?, on channel: String) {
        problems.withLock { $0[channel] = reason }
    }

    /// Statistics refresh, and retention: old messages deleted once an hour.
    private func maintain() async {
        var lastPurge = Date.distantPast
        while !Task.isCancelled {
            await refreshStatistics()
            let store = self.store
            if let lost = try? await store.lostReason() { storeHealth.lost(lost) }
            if !storeHealth.refusesWork { await advanceDueRuns() }
            let now = clock()
            if now.timeIntervalSince(lastPurge) >= 3_600 {
                lastPurge = now
                let cutoff = now.addingTimeInterval(-Double(settings.retentionDays) * 86_400)
                do {
                    let deleted = try await store.purge(before: cutoff)
                    if deleted > 0 { logger.info("channels: retention deleted \(deleted) old rows") }
                } catch {
                    logger.warning("channels: retention purge failed", metadata: ["error": "\(error)"])
                }
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    package func conversation(customer: String) async throws -> Conversation? {
        let store = self.store
        return try await store.conversation(customer: customer)
    }

    /// Gives a handed-over conversation back to the bot; false when there is no such conversation.
    package func unmute(customer: String) async throws -> Bool {
        let store = self.store
        let found = try await store.unmute(customer: customer)
        if found { publish(ConversationEvent(.conversation, conversation: customer, at: clock())) }
        return found
    }
}
