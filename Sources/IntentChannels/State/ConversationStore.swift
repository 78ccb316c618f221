package import Foundation

/// Where a channel's state lives: inbound message ids, conversations, the outbox with its
/// delivery statuses, and the channel's statistics. SQLite and PostgreSQL implement it; one
/// contract test suite holds both to the same behaviour.
///
/// Invariants every implementation keeps:
/// - `receive` is one transaction, and a message id is stored at most once (a unique key, not
///   check-then-insert): concurrent and repeated deliveries of a message count it once.
/// - `process` reads the conversation, applies the plan, queues its replies and marks the
///   message processed in one transaction: a message's replies are queued exactly once. One
///   customer's messages are processed in the order received, whichever process decides them.
/// - `dueOutbox` returns, per customer, only the oldest unsent item, so one customer's replies
///   go out in the order they were decided, whatever retries happen.
///
/// Every method is async: implementations do their I/O off Swift concurrency's threads
/// (GRDB's queues, postgres-nio's event loops).
package protocol ConversationStore: Sendable {
    /// Records the messages and delivery statuses of one webhook delivery. Returns the messages
    /// that were new (duplicates are counted, not returned), each with its contact as `customer`:
    /// the contact its sender's identity is (`identities`), or a new one keyed by the identity.
    func receive(_ messages: [InboundMessage], statuses: [DeliveryStatus], at: Date) async throws -> [InboundMessage]

    /// Received messages whose replies are not decided yet, oldest first.
    func unprocessed(limit: Int) async throws -> [InboundMessage]

    /// Decides one received message against its conversation, atomically: `plan` gets the
    /// conversation as it stands (nil for a new customer) and returns what to store and send.
    /// Returns false, writing nothing, when the message was already processed, or when an earlier
    /// message of the customer is not processed yet (another replica has it): it stays in the
    /// inbox and comes again after that one.
    func process(_ message: InboundMessage, at: Date, plan: @escaping @Sendable (Conversation?) -> ConversationPlan) async throws -> Bool

    /// Changes one customer's conversation outside an inbound message (a flow's webhook answered
    /// or failed, a run's time came, a flow started through the API), atomically: `plan` gets the
    /// stored conversation and returns what to store, queue and count (nil: nothing), and
    /// `finishing` is marked sent or failed in the same transaction. Replies go out from the
    /// conversation's business number. Returns the outbox items queued, in order; nil, writing
    /// nothing, when there is no such conversation or `finishing` is no longer pending (another
    /// replica finished it).
    @discardableResult
    func advance(
        customer: String, at: Date, finishing: FinishedItem?, plan: @escaping @Sendable (Conversation) -> ConversationPlan?
    ) async throws -> [Int64]?

    /// The customer's question a "did you mean" choice offered (buttons or a list) answered: the
    /// text of the inbound message the choice, sent as `channelMessageID`, replied to.
    func offeredQuestion(choiceMessage channelMessageID: String) async throws -> String?

    /// One customer's messages both ways and the notes left on them, newest first: at most
    /// `limit`, older than `before` when given (the next page).
    func timeline(customer: String, before: Date?, limit: Int) async throws -> [TimelineItem]

    /// Customers whose flow run is due (a question timed out, a `wait` ended), earliest first.
    func dueFlowRuns(now: Date, limit: Int) async throws -> [String]

    /// Unsent items whose time has come: per customer only the oldest, oldest customers first.
    func dueOutbox(now: Date, limit: Int) async throws -> [OutboxItem]

    /// The earliest time an unsent item is due, or nil when the outbox is empty.
    func nextOutboxDue() async throws -> Date?

    func markSent(_ item: Int64, channelMessageID: String?, at: Date) async throws
    func retryLater(_ item: Int64, at: Date, error: String) async throws
    /// Gives up on an item; the customer's next item becomes due.
    func markFailed(_ item: Int64, at: Date, error: String) async throws

    func conversation(customer: String) async throws -> Conversation?
    /// The inbox's list: at most `query.limit` conversations, latest activity first (ties by
    /// customer, descending), after `query.after`, of the status and text asked.
    func conversations(_ query: ConversationQuery) async throws -> [Conversation]
    /// Leaves an internal note in the conversation's timeline. Nil when there is no such conversation.
    func addNote(customer: String, agent: String, text: String, at: Date) async throws -> ConversationNote?
    /// Ends a hand-over: the bot answers this customer again. Returns whether the conversation exists.
    func unmute(customer: String) async throws -> Bool

    func statistics() async throws -> ChannelStatistics

    /// Deletes everything stored about one customer (messages, conversation, notes, outbox, delivery
    /// statuses and their distinct-customer marks); counters keep their totals. Returns the rows deleted.
    func purge(customer: String) async throws -> Int
    /// Deletes messages, outbox items and delivery statuses older than `date`, and
    /// conversations silent since then. Returns the rows deleted.
    func purge(before date: Date) async throws -> Int

    // MARK: Contacts across channels

    /// The contact's identities (channel and id), the one written from last first.
    func identities(contact: String) async throws -> [ContactIdentity]

    /// Folds `contact` into `target`, atomically (see `ContactMerge.combine` for the
    /// conversation; its messages, replies, notes, evidence, identities and distinct-customer
    /// marks become the target's, a mark both have counting once), and records what moved so that
    /// `unmerge` can restore it. Returns the target's conversation as merged. Throws
    /// `ContactMergeError` when the contacts are the same, either is unknown or merged away.
    func merge(contact: String, into target: String, at: Date) async throws -> Conversation

    /// Undoes the contact's latest merge: what moved goes back, with what arrived since through
    /// its identities. Returns the contact's conversation and the target's, as restored.
    func unmerge(contact: String, at: Date) async throws -> (contact: Conversation, target: Conversation)

    /// Other contacts sharing evidence with `contact`: a phone number it gave that is another
    /// contact's WhatsApp id, or an e-mail address both gave.
    func contactsSharingEvidence(with contact: String) async throws -> [String]

    /// Why writes no longer reach the store's file (it was deleted or replaced while open), or
    /// nil while they do. A server-backed store has no such file.
    func lostReason() async throws -> String?
}

extension ConversationStore {
    package func lostReason() async throws -> String? { nil }
}

/// An outbox item whose work is over, marked in the same transaction as what it caused.
package struct FinishedItem: Sendable, Equatable {
    package var id: Int64
    /// Nil: it succeeded (marked sent); else why it failed for good.
    package var failure: String?

    package init(id: Int64, failure: String? = nil) {
        self.id = id
        self.failure = failure
    }
}

/// What handling one message changes: the conversation as it should be stored, the replies to
/// queue (in order) and what to count.
package struct ConversationPlan: Sendable, Equatable {
    /// The conversation to store; nil leaves the stored one (or its absence) as it is.
    package var conversation: Conversation?
    package var replies: [OutboundDraft]
    package var triggers: [Trigger]
    /// Where the replies go when not to the customer's message's sender or the conversation's
    /// identity (a person's reply on a channel they picked among the contact's).
    package var recipient: ChannelIdentity?
    /// The business's account on `recipient`'s channel the replies go out from.
    package var account: String?

    package init(conversation: Conversation?, replies: [OutboundDraft], triggers: [Trigger]) {
        self.conversation = conversation
        self.replies = replies
        self.triggers = triggers
    }
}
