import Foundation
import IntentCore
import IntentProviders
import Logging
import ServiceLifecycle

/// The WhatsApp Cloud API channel: receives webhooks, decides replies with the conversation
/// automation around the matcher, and sends them from a durable outbox.
///
/// The path of a message: `receive` checks the signature and stores the message (a duplicate
/// `wamid` is counted and dropped by the store's unique key), then the webhook is answered;
/// the inbox loop asks `decide` (the matcher, through the server's wiring) and queues the
/// replies in the same transaction that marks the message processed; the outbox loop sends
/// them, paced, retrying what Meta says is temporary. A crash at any point leaves either an
/// unprocessed message or unsent replies in the store, which the next start picks up.
///
/// Store calls are async (their I/O on the store's own threads), sends run on libcurl's threads.
public final class WhatsAppChannel: Service {
    public typealias Decide = @Sendable (_ text: String, _ customer: String) async -> BotAnswer
    public typealias Clock = @Sendable () -> Date

    public let settings: WhatsAppSettings
    let store: any ConversationStore
    let policy: ConversationPolicy
    let graph: GraphAPI
    let transport: any HTTPTransport
    let logger: Logger
    let clock: Clock
    let decide: Decide
    let signature: WebhookSignature
    let inboxWakeup = Wakeup()
    let outboxWakeup = Wakeup()
    /// Whether the state store takes writes; `/readyz` reads it.
    package let storeHealth: StoreHealth
    /// Sends whose outcome the store could not record: never sent again, recorded first.
    let unrecorded = Locked<[Int64: UnrecordedOutcome]>([:])
    /// Answers decided for messages whose replies could not be stored yet: a retry does not
    /// ask the matcher (or a paid chat model) again, nor count the message twice.
    let decided = Locked<[String: BotAnswer?]>([:])
    private let snapshot = Locked(ChannelStatistics())
    private let problem = Locked<String?>(nil)
    private let timestampWarned = Locked(false)

    /// - Parameter storeHealth: shared with the other users of the same state store (the
    ///   console's edits); a new one when nil.
    package init(
        settings: WhatsAppSettings, store: any ConversationStore, policy: ConversationPolicy, transport: any HTTPTransport,
        logger: Logger, storeHealth: StoreHealth? = nil, clock: @escaping Clock = { Date() }, decide: @escaping Decide
    ) {
        self.settings = settings
        self.store = store
        self.policy = policy
        graph = GraphAPI(baseURL: settings.graphURL, accessToken: settings.accessToken)
        self.transport = transport
        self.logger = logger
        self.clock = clock
        self.decide = decide
        signature = WebhookSignature(appSecret: settings.appSecret)
        self.storeHealth = storeHealth ?? StoreHealth(logger: logger)
    }

    /// Back-off of the loops while the store fails: 2 s, doubling to a minute.
    static let storeBackoff = Backoff(first: 2, limit: 60)

    // MARK: Webhooks

    /// Meta's subscription handshake: the challenge to echo, or nil (403).
    public func verify(mode: String?, token: String?, challenge: String?) -> String? {
        guard mode == "subscribe", let token, let challenge, ConstantTime.equal(token, settings.verifyToken) else { return nil }
        return challenge
    }

    public enum Receipt: Sendable, Equatable {
        /// Stored: answer 200.
        case accepted(new: Int, duplicates: Int, statuses: Int)
        /// No signature header: 401.
        case unsigned
        /// A signature that does not verify: 403.
        case forged
        /// Signed but not a webhook payload: 400 (Meta does not retry a 4xx).
        case malformed(String)
        /// The store failed: 503, so that Meta delivers it again.
        case unavailable(String)
    }

    /// Checks and stores one webhook delivery. Nothing of an unsigned or forged body is read.
    public func receive(body: [UInt8], signatureHeader: String?) async -> Receipt {
        switch signature.verify(body: body, header: signatureHeader) {
        case .missing: return .unsigned
        case .invalid: return .forged
        case .valid: break
        }
        let now = clock()
        let payload: WebhookPayload
        do {
            payload = try WebhookPayload.decode(body, phoneNumberID: settings.phoneNumberID, receivedAt: now)
        } catch {
            return .malformed("\(error)")
        }
        if payload.messages.isEmpty && payload.statuses.isEmpty { return .accepted(new: 0, duplicates: 0, statuses: 0) }
        if payload.unusableTimestamps > 0,
            timestampWarned.withLock({ warned in
                defer { warned = true }
                return !warned
            })
        {
            logger.warning(
                "whatsapp: a webhook carried timestamps that are not a time (unparsable, or before 2009 or in the future): the receipt time stands in for them; further ones are not logged",
                metadata: ["count": "\(payload.unusableTimestamps)"])
        }
        if storeHealth.refusesWork {
            // Stored now, the messages would be lost at the next start: Meta keeps them until then.
            return .unavailable(storeHealth.problem?.reason ?? "the conversation store is unavailable")
        }
        let store = self.store
        do {
            let fresh = try await store.receive(payload.messages, statuses: payload.statuses, at: now)
            storeHealth.succeeded()
            if !fresh.isEmpty { inboxWakeup.signal() }
            return .accepted(new: fresh.count, duplicates: payload.messages.count - fresh.count, statuses: payload.statuses.count)
        } catch {
            storeHealth.failed("storing a webhook", error: error)
            logger.debug("whatsapp: the webhook could not be stored; answering 503 so that Meta retries", metadata: ["error": "\(error)"])
            return .unavailable("the conversation store is unavailable")
        }
    }

    // MARK: Running

    /// Processes received messages and sends the outbox until the service group shuts down (or
    /// the task is cancelled); picks up whatever a previous run left (unprocessed messages,
    /// unsent replies).
    public func run() async {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.processInbox() }
                group.addTask { await self.sendOutbox() }
                group.addTask { await self.maintain() }
            }
        }
    }

    /// The channel's figures as of the last refresh (every half second while running).
    public var statistics: ChannelStatistics { snapshot.current }

    /// Why sends cannot succeed (an expired access token), or nil when the channel is healthy.
    public var unhealthyReason: String? { problem.current }

    func refreshStatistics() async {
        let store = self.store
        if let figures = try? await store.statistics() {
            snapshot.withLock { $0 = figures }
        }
    }

    func reportProblem(_ reason: String?) {
        problem.withLock { $0 = reason }
    }

    /// Statistics refresh, and retention: old messages deleted once an hour.
    private func maintain() async {
        var lastPurge = Date.distantPast
        while !Task.isCancelled {
            await refreshStatistics()
            let store = self.store
            if let lost = try? await store.lostReason() { storeHealth.lost(lost) }
            let now = clock()
            if now.timeIntervalSince(lastPurge) >= 3_600 {
                lastPurge = now
                let cutoff = now.addingTimeInterval(-Double(settings.retentionDays) * 86_400)
                do {
                    let deleted = try await store.purge(before: cutoff)
                    if deleted > 0 { logger.info("whatsapp: retention deleted \(deleted) old rows") }
                } catch {
                    logger.warning("whatsapp: retention purge failed", metadata: ["error": "\(error)"])
                }
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    /// The most recently active conversations (the console's list).
    public func recentConversations(limit: Int) async throws -> [Conversation] {
        let store = self.store
        return try await store.recentConversations(limit: limit)
    }

    /// Gives a handed-over conversation back to the bot; false when there is no such conversation.
    public func unmute(customer: String) async throws -> Bool {
        let store = self.store
        return try await store.unmute(customer: customer)
    }
}
