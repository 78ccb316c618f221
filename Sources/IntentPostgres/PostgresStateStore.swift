package import Foundation
package import IntentChannels
package import IntentCore
import PostgresNIO

/// The service's state on a PostgreSQL server that several replicas share: the channel's
/// `ConversationStore` and `QuickReplyStore` (in `PostgresStateStore+QuickReplies`), the console's
/// `CorpusEditStore` and `FlowEditStore`, and the `AgentStore`, with the same tables as
/// `SQLiteStateStore` (times are seconds since 1970, as there).
///
/// What several writers add to SQLite's invariants:
/// - `receive`: the message id is the primary key (`ON CONFLICT DO NOTHING`): the same webhook
///   delivered to every replica at once is stored once.
/// - `process`: one transaction holding a per-customer advisory lock, so two replicas deciding
///   two first messages of one customer see each other's conversation row: one greeting.
/// - `dueOutbox` claims what it returns (`FOR UPDATE SKIP LOCKED`, then a lease of
///   `leaseSeconds`): another replica skips those items, and takes them over when the lease
///   runs out (the claimer died); a customer whose oldest item is leased is skipped whole, so
///   replies still go out in order. The state, due time and lease are tested on the outer row
///   too: a claim whose snapshot predates another's committed lease waits for that row's lock
///   and then re-checks only the locked row's own conditions (READ COMMITTED), never the
///   subquery's, so without them both replicas would send the item.
package final class PostgresStateStore: ConversationStore, CorpusEditStore, FlowEditStore {
    package let server: PostgresServer
    /// How long a claimed outbox item is another replica's (default 30 s).
    package let leaseSeconds: Double

    private init(server: PostgresServer, leaseSeconds: Double) {
        self.server = server
        self.leaseSeconds = leaseSeconds
    }

    /// The store on `server`, its tables created or migrated.
    package static func open(server: PostgresServer, leaseSeconds: Double = 30) async throws -> PostgresStateStore {
        try await server.migrate(migrations)
        return PostgresStateStore(server: server, leaseSeconds: leaseSeconds)
    }

    /// Connects to the server at `url` (see `PostgresServer.connect`) and opens the store there.
    package static func open(url: String, leaseSeconds: Double = 30) async throws -> PostgresStateStore {
        try await open(server: PostgresServer.connect(url: url), leaseSeconds: leaseSeconds)
    }

    static let migrations: [(id: String, sql: [String])] = [
        (
            "state-v1",
            [
                """
                CREATE TABLE inbound (
                    id TEXT PRIMARY KEY, customer TEXT NOT NULL, customer_name TEXT, phone_number_id TEXT NOT NULL,
                    type TEXT NOT NULL, text TEXT, sent_at DOUBLE PRECISION NOT NULL, received_at DOUBLE PRECISION NOT NULL,
                    processed_at DOUBLE PRECISION, seq BIGSERIAL)
                """,
                "CREATE INDEX inbound_unprocessed ON inbound (received_at, seq) WHERE processed_at IS NULL",
                "CREATE INDEX inbound_by_customer ON inbound (customer)",
                """
                CREATE TABLE conversations (
                    customer TEXT PRIMARY KEY, name TEXT, first_inbound_at DOUBLE PRECISION NOT NULL,
                    last_inbound_at DOUBLE PRECISION NOT NULL, muted_until DOUBLE PRECISION, last_away_day TEXT)
                """,
                """
                CREATE TABLE outbox (
                    id BIGSERIAL PRIMARY KEY, customer TEXT NOT NULL, phone_number_id TEXT NOT NULL, kind TEXT NOT NULL,
                    body TEXT NOT NULL, context TEXT, inbound_id TEXT, state TEXT NOT NULL DEFAULT 'pending',
                    attempts INTEGER NOT NULL DEFAULT 0, next_at DOUBLE PRECISION NOT NULL, created_at DOUBLE PRECISION NOT NULL,
                    sent_at DOUBLE PRECISION, channel_message_id TEXT, last_error TEXT, delivery TEXT,
                    delivery_at DOUBLE PRECISION, delivery_error TEXT, lease_until DOUBLE PRECISION)
                """,
                "CREATE INDEX outbox_pending ON outbox (customer, id) WHERE state = 'pending'",
                "CREATE INDEX outbox_by_channel_id ON outbox (channel_message_id)",
                """
                CREATE TABLE delivery_statuses (
                    message_id TEXT NOT NULL, status TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, recipient TEXT,
                    error_code INTEGER, error_detail TEXT, PRIMARY KEY (message_id, status))
                """,
                "CREATE TABLE counters (name TEXT PRIMARY KEY, count BIGINT NOT NULL)",
                "CREATE TABLE trigger_customers (trigger TEXT NOT NULL, customer TEXT NOT NULL, PRIMARY KEY (trigger, customer))",
                """
                CREATE TABLE corpus_edits (
                    number BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, entry TEXT, questions TEXT NOT NULL, answer TEXT,
                    made_by TEXT NOT NULL, made_at DOUBLE PRECISION NOT NULL)
                """,
            ]
        ),
        ("state-v2-answer-edits", ["ALTER TABLE corpus_edits ADD COLUMN language TEXT", "ALTER TABLE corpus_edits ADD COLUMN basis TEXT"]),
        (
            "state-v3-answer-suggestions",
            [
                """
                CREATE TABLE answer_suggestions (
                    entry TEXT NOT NULL, language TEXT NOT NULL, source TEXT NOT NULL, text TEXT NOT NULL, made_by TEXT NOT NULL,
                    made_at DOUBLE PRECISION NOT NULL, rejected BOOLEAN NOT NULL DEFAULT FALSE, PRIMARY KEY (entry, language))
                """
            ]
        ),
        (
            "state-v4-flows",
            [
                "ALTER TABLE conversations ADD COLUMN phone_number_id TEXT", "ALTER TABLE conversations ADD COLUMN tags TEXT",
                "ALTER TABLE conversations ADD COLUMN attributes TEXT", "ALTER TABLE conversations ADD COLUMN flow_run TEXT",
                "ALTER TABLE conversations ADD COLUMN flow_due_at DOUBLE PRECISION",
                "CREATE INDEX conversations_flow_due ON conversations (flow_due_at) WHERE flow_due_at IS NOT NULL",
                "ALTER TABLE inbound ADD COLUMN choice TEXT", "ALTER TABLE outbox ADD COLUMN options TEXT",
            ]
        ),
        (
            "state-v5-flow-edits",
            [
                """
                CREATE TABLE flow_edits (
                    number BIGSERIAL PRIMARY KEY, text TEXT NOT NULL, made_by TEXT NOT NULL, made_at DOUBLE PRECISION NOT NULL)
                """
            ]
        ),
        ("state-v6-timeline", ["ALTER TABLE inbound ADD COLUMN reply_to TEXT", "ALTER TABLE outbox ADD COLUMN origin TEXT"]),
        (
            "state-v7-agents",
            [
                """
                CREATE TABLE agents (
                    name TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('viewer', 'agent', 'admin')),
                    token_hash TEXT NOT NULL UNIQUE, created_at DOUBLE PRECISION NOT NULL,
                    token_rotated_at DOUBLE PRECISION NOT NULL, last_seen_at DOUBLE PRECISION)
                """
            ]
        ),
        (
            "state-v8-inbox",
            [
                "ALTER TABLE conversations ADD COLUMN handling TEXT NOT NULL DEFAULT 'bot'", "ALTER TABLE conversations ADD COLUMN assignee TEXT",
                "ALTER TABLE conversations ADD COLUMN unread BIGINT NOT NULL DEFAULT 0",
                "ALTER TABLE conversations ADD COLUMN last_activity_at DOUBLE PRECISION", "ALTER TABLE conversations ADD COLUMN last_message TEXT",
                "ALTER TABLE conversations ADD COLUMN resolutions BIGINT NOT NULL DEFAULT 0",
                """
                UPDATE conversations SET last_activity_at = last_inbound_at,
                    handling = CASE WHEN muted_until IS NULL THEN 'bot' ELSE 'waiting' END
                """,
                "CREATE INDEX conversations_activity ON conversations (last_activity_at, customer)",
                "CREATE INDEX conversations_handling ON conversations (handling, last_activity_at, customer)",
                "CREATE INDEX conversations_assignee ON conversations (assignee, last_activity_at, customer) WHERE assignee IS NOT NULL",
                """
                CREATE TABLE notes (
                    id BIGSERIAL PRIMARY KEY, customer TEXT NOT NULL, agent TEXT NOT NULL, text TEXT NOT NULL, at DOUBLE PRECISION NOT NULL)
                """,
                "CREATE INDEX notes_by_customer ON notes (customer, at)",
            ]
        ),
        (
            "state-v9-quick-replies",
            [
                """
                CREATE TABLE quick_replies (
                    shortcut TEXT PRIMARY KEY, text TEXT NOT NULL, updated_by TEXT NOT NULL, updated_at DOUBLE PRECISION NOT NULL)
                """
            ]
        ),
        (
            "state-v10-answer-basis",
            [
                "ALTER TABLE outbox ADD COLUMN answer_entry TEXT", "ALTER TABLE outbox ADD COLUMN answer_rule TEXT",
                "ALTER TABLE outbox ADD COLUMN answer_score DOUBLE PRECISION", "ALTER TABLE inbound ADD COLUMN caption TEXT",
                "ALTER TABLE agents ADD COLUMN display_name TEXT",
            ]
        ),
        (
            // NULL in the new columns: a row from before other channels, a WhatsApp number's.
            "state-v11-channels",
            [
                "ALTER TABLE inbound ADD COLUMN channel TEXT", "ALTER TABLE inbound ADD COLUMN sender TEXT",
                "ALTER TABLE outbox ADD COLUMN channel TEXT", "ALTER TABLE outbox ADD COLUMN recipient TEXT",
                "ALTER TABLE conversations ADD COLUMN channel TEXT", "ALTER TABLE conversations ADD COLUMN recipient TEXT",
            ]
                + StateRows.seedChannelCountersSQL.split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter {
                    !$0.isEmpty
                }
        ),
        ("state-v12-contacts", contactsMigration),
        ("state-v13-message-language", ["ALTER TABLE inbound ADD COLUMN language TEXT"]),
        ("state-v14-phone-evidence-e164", StateRows.phoneEvidenceE164SQL),
    ]

    // MARK: Receiving

    package func receive(_ messages: [InboundMessage], statuses: [DeliveryStatus], at: Date) async throws -> [InboundMessage] {
        let received = at.timeIntervalSince1970
        return try await server.transaction { db in
            var fresh: [InboundMessage] = []
            for var m in messages {
                m.customer = try await Self.contact(db, of: m, at: received)
                let rows = try await db.query(
                    """
                    INSERT INTO inbound (id, customer, channel, sender, customer_name, phone_number_id, type, text, caption, choice, reply_to, sent_at, received_at, language)
                    VALUES (\(m.id), \(m.customer), \(m.channel), \(m.sender), \(m.customerName), \(m.phoneNumberID), \(m.type), \(m.text), \(m.caption), \(m.choice), \(m.replyTo), \(m.sentAt.timeIntervalSince1970), \(received), \(m.language))
                    ON CONFLICT (id) DO NOTHING RETURNING id
                    """, logger: PostgresServer.quiet)
                guard try await Self.count(rows) > 0 else { continue }
                fresh.append(m)
                try await Self.count(db, StateRows.Counter.received(on: m.channel), by: 1)
                try await db.query(
                    "INSERT INTO trigger_customers (trigger, customer) VALUES (\(StateRows.Counter.customers(on: m.channel)), \(m.customer)) ON CONFLICT DO NOTHING",
                    logger: PostgresServer.quiet)
            }
            try await Self.count(db, StateRows.Counter.received, by: fresh.count)
            try await Self.count(db, StateRows.Counter.duplicates, by: messages.count - fresh.count)
            for s in statuses {
                let inserted = try await db.query(
                    """
                    INSERT INTO delivery_statuses (message_id, status, at, recipient, error_code, error_detail)
                    VALUES (\(s.messageID), \(s.status), \(s.at.timeIntervalSince1970), \(s.recipient), \(s.errorCode), \(s.errorDetail))
                    ON CONFLICT DO NOTHING RETURNING message_id
                    """, logger: PostgresServer.quiet)
                guard try await Self.count(inserted) > 0 else { continue }
                // Statuses can arrive out of order: a later stage never goes back.
                try await db.query(
                    """
                    UPDATE outbox SET delivery = \(s.status), delivery_at = \(s.at.timeIntervalSince1970), delivery_error = \(s.errorDetail)
                    WHERE channel_message_id = \(s.messageID) AND (delivery IS NULL OR \(StateRows.rank(s.status)) >= \(unescaped: StateRows.rankSQL("delivery")))
                    """, logger: PostgresServer.quiet)
                if s.status == "failed" { try await Self.count(db, StateRows.Counter.deliveryFailed, by: 1) }
            }
            return fresh
        }
    }

    package func unprocessed(limit: Int) async throws -> [InboundMessage] {
        try await server.run { client in
            let rows = try await client.query(
                """
                SELECT id, customer, channel, sender, customer_name, phone_number_id, type, text, caption, choice, reply_to, sent_at, language
                FROM inbound WHERE processed_at IS NULL ORDER BY received_at, seq LIMIT \(limit)
                """, logger: PostgresServer.quiet)
            var messages: [InboundMessage] = []
            for try await (id, customer, channel, sender, name, phone, type, text, caption, choice, replyTo, sentAt, language) in rows.decode(
                (String, String, String?, String?, String?, String, String, String?, String?, String?, String?, Double, String?).self)
            {
                var message = InboundMessage(
                    id: id, from: StateRows.identity(channel: channel, id: sender, customer: customer), customerName: name, account: phone,
                    type: type, text: text, caption: caption, choice: choice, replyTo: replyTo, sentAt: Date(timeIntervalSince1970: sentAt),
                    language: language)
                message.customer = customer
                messages.append(message)
            }
            return messages
        }
    }

    // MARK: Deciding

    package func process(_ message: InboundMessage, at: Date, plan: @escaping @Sendable (Conversation?) -> ConversationPlan) async throws -> Bool {
        // Read the conversation, decide, write, all in one transaction under the customer's lock.
        let now = at.timeIntervalSince1970
        return try await server.transaction { db in
            // The contact as stored now (a merge since the message was read moved it), locked, then checked again.
            var message = message
            guard let customer = try await Self.storedCustomer(db, of: message.id) else { return false }
            message.customer = customer
            try await db.query("SELECT pg_advisory_xact_lock(hashtext(\(message.customer)))", logger: PostgresServer.quiet)
            guard try await Self.storedCustomer(db, of: message.id) == customer else { return false }
            // The customer's earlier message first, whichever replica decides it: a flow's answers arrive in order.
            let earlier = try await db.query(
                """
                SELECT o.id FROM inbound o, inbound m WHERE m.id = \(message.id) AND o.customer = m.customer AND o.processed_at IS NULL
                AND (o.received_at, o.seq) < (m.received_at, m.seq) LIMIT 1
                """, logger: PostgresServer.quiet)
            guard try await Self.count(earlier) == 0 else { return false }
            let claimed = try await db.query(
                "UPDATE inbound SET processed_at = \(now) WHERE id = \(message.id) AND processed_at IS NULL RETURNING id",
                logger: PostgresServer.quiet)
            // Already processed (a redelivery, another replica): nothing was written, the commit is empty.
            guard try await Self.count(claimed) > 0 else { return false }
            let decided = plan(try await Self.conversation(db, customer: message.customer)).stamped(at: at, inbound: message)
            try await Self.write(
                decided, customer: message.customer, recipient: message.identity, phoneNumberID: message.phoneNumberID, inboundID: message.id,
                now: now, db)
            return true
        }
    }

    package func advance(
        customer: String, at: Date, finishing: FinishedItem?, plan: @escaping @Sendable (Conversation) -> ConversationPlan?
    ) async throws -> [Int64]? {
        let now = at.timeIntervalSince1970
        return try await server.transaction { db in
            try await db.query("SELECT pg_advisory_xact_lock(hashtext(\(customer)))", logger: PostgresServer.quiet)
            if let finishing {
                let state = finishing.failure == nil ? "sent" : "failed"
                let finished = try await db.query(
                    """
                    UPDATE outbox SET state = \(state), attempts = attempts + \(finishing.failure == nil ? 0 : 1), sent_at = \(now),
                        last_error = COALESCE(\(finishing.failure), last_error), lease_until = NULL
                    WHERE id = \(finishing.id) AND state = 'pending' RETURNING id
                    """, logger: PostgresServer.quiet)
                guard try await Self.count(finished) > 0 else { return nil }
            }
            guard let conversation = try await Self.conversation(db, customer: customer) else { return nil }
            guard let decided = plan(conversation)?.stamped(at: at, inbound: nil) else { return [] }
            var number = conversation.phoneNumberID
            if number == nil {
                let rows = try await db.query(
                    "SELECT phone_number_id FROM inbound WHERE customer = \(customer) ORDER BY sent_at DESC LIMIT 1", logger: PostgresServer.quiet)
                for try await (phone) in rows.decode(String.self) { number = phone }
            }
            return try await Self.write(
                decided, customer: customer, recipient: conversation.identity, phoneNumberID: number ?? "", inboundID: nil, now: now, db)
        }
    }

    package func offeredQuestion(choiceMessage channelMessageID: String) async throws -> String? {
        try await server.run { client in
            let rows = try await client.query(
                """
                SELECT i.text FROM outbox o JOIN inbound i ON i.id = o.inbound_id
                WHERE o.channel_message_id = \(channelMessageID) AND o.kind IN ('buttons', 'list') LIMIT 1
                """, logger: PostgresServer.quiet)
            for try await (text) in rows.decode(String?.self) { return text }
            return nil
        }
    }

    package func timeline(customer: String, before: Date?, limit: Int) async throws -> [TimelineItem] {
        let before = before?.timeIntervalSince1970 ?? Double(Int64.max)
        return try await server.run { client in
            var items: [TimelineItem] = []
            let inbound = try await client.query(
                """
                SELECT id, type, text, caption, choice, received_at, channel FROM inbound WHERE customer = \(customer) AND received_at < \(before)
                ORDER BY received_at DESC, seq DESC LIMIT \(limit)
                """, logger: PostgresServer.quiet)
            for try await (id, type, text, caption, choice, at, channel) in inbound.decode(
                (String, String, String?, String?, String?, Double, String?).self)
            {
                items.append(TimelineItem.inbound(id: id, type: type, text: text, caption: caption, choice: choice, at: at, channel: channel))
            }
            let outbound = try await client.query(
                """
                SELECT id, kind, body, options, origin, answer_entry, answer_rule, answer_score, state, delivery, last_error, delivery_error,
                    created_at, channel FROM outbox
                WHERE customer = \(customer) AND \(unescaped: TimelineItem.shownKindsSQL) AND created_at < \(before)
                ORDER BY created_at DESC, id DESC LIMIT \(limit)
                """, logger: PostgresServer.quiet)
            for try await (id, kind, body, options, origin, entry, rule, score, state, delivery, lastError, deliveryError, at, channel)
                in outbound.decode(
                    (Int64, String, String, String?, String?, String?, String?, Double?, String, String?, String?, String?, Double, String?).self)
            {
                items.append(
                    TimelineItem.outbound(
                        id: id, kind: kind, body: body, options: options, origin: origin, basis: AnswerBasis(entry: entry, rule: rule, score: score),
                        state: state, delivery: delivery, lastError: lastError, deliveryError: deliveryError, at: at, channel: channel))
            }
            let notes = try await client.query(
                """
                SELECT id, customer, agent, text, at FROM notes WHERE customer = \(customer) AND at < \(before) ORDER BY at DESC, id DESC LIMIT \(limit)
                """, logger: PostgresServer.quiet)
            for try await (id, customer, agent, text, at) in notes.decode((Int64, String, String, String, Double).self) {
                items.append(ConversationNote(id: id, customer: customer, agent: agent, text: text, at: Date(timeIntervalSince1970: at)).timelineItem)
            }
            return TimelineItem.newestFirst(items, limit: limit)
        }
    }

    package func dueFlowRuns(now: Date, limit: Int) async throws -> [String] {
        try await server.run { client in
            let rows = try await client.query(
                "SELECT customer FROM conversations WHERE flow_due_at <= \(now.timeIntervalSince1970) ORDER BY flow_due_at LIMIT \(limit)",
                logger: PostgresServer.quiet)
            var customers: [String] = []
            for try await (customer) in rows.decode(String.self) { customers.append(customer) }
            return customers
        }
    }

    /// Stores a plan: the conversation, its replies in the outbox, its counters. Returns the
    /// outbox items queued.
    @discardableResult
    static func write(
        _ decided: ConversationPlan, customer: String, recipient: ChannelIdentity, phoneNumberID: String, inboundID: String?, now: Double,
        _ db: PostgresConnection
    ) async throws -> [Int64] {
        let recipient = decided.recipient ?? recipient
        let phoneNumberID = decided.account ?? phoneNumberID
        if let c = decided.conversation {
            try await db.query(
                """
                INSERT INTO conversations (
                    customer, name, first_inbound_at, last_inbound_at, muted_until, last_away_day, phone_number_id, tags, attributes,
                    flow_run, flow_due_at, handling, assignee, unread, last_activity_at, last_message, resolutions, channel, recipient)
                VALUES (\(c.customer), \(c.name), \(c.firstInboundAt.timeIntervalSince1970), \(c.lastInboundAt.timeIntervalSince1970),
                    \(c.mutedUntil?.timeIntervalSince1970), \(c.lastAwayDay), \(c.phoneNumberID), \(StateRows.json(tags: c.tags)),
                    \(StateRows.json(attributes: c.attributes)), \(StateRows.json(run: c.flowRun)), \(c.flowDueAt?.timeIntervalSince1970),
                    \(c.handling.rawValue), \(c.assignee), \(c.unread), \(c.lastActivityAt.timeIntervalSince1970), \(c.lastMessage), \(c.resolutions),
                    \(c.identity.channel), \(c.identity.id))
                ON CONFLICT (customer) DO UPDATE SET name = excluded.name, last_inbound_at = excluded.last_inbound_at,
                    muted_until = excluded.muted_until, last_away_day = excluded.last_away_day,
                    phone_number_id = excluded.phone_number_id, tags = excluded.tags, attributes = excluded.attributes,
                    flow_run = excluded.flow_run, flow_due_at = excluded.flow_due_at, handling = excluded.handling,
                    assignee = excluded.assignee, unread = excluded.unread, last_activity_at = excluded.last_activity_at,
                    last_message = excluded.last_message, resolutions = excluded.resolutions, channel = excluded.channel,
                    recipient = excluded.recipient
                """, logger: PostgresServer.quiet)
            try await recordEvidence(c.collected, db, contact: customer, at: now)
        }
        var queued: [Int64] = []
        for reply in decided.replies {
            let rows = try await db.query(
                """
                INSERT INTO outbox (
                    customer, channel, recipient, phone_number_id, kind, body, context, options, origin, answer_entry, answer_rule, answer_score,
                    inbound_id, next_at, created_at)
                VALUES (\(customer), \(recipient.channel), \(recipient.id), \(phoneNumberID), \(reply.kind.rawValue), \(reply.body), \(reply.context), \(reply.optionsJSON), \(reply.origin.stored),
                    \(reply.basis?.entry), \(reply.basis?.rule), \(reply.basis?.score), \(inboundID), \(now), \(now))
                RETURNING id
                """, logger: PostgresServer.quiet)
            for try await (id) in rows.decode(Int64.self) { queued.append(id) }
        }
        for trigger in decided.triggers {
            try await count(db, trigger.key, by: 1)
            try await db.query(
                "INSERT INTO trigger_customers (trigger, customer) VALUES (\(trigger.key), \(customer)) ON CONFLICT DO NOTHING",
                logger: PostgresServer.quiet)
        }
        return queued
    }

    /// The columns `conversations(_:)` reads, in its order.
    static let conversationColumns = """
        customer, name, first_inbound_at, last_inbound_at, muted_until, last_away_day, phone_number_id, tags, attributes, flow_run, flow_due_at,
        handling, assignee, unread, last_activity_at, last_message, resolutions, channel, recipient
        """

    static func conversation(_ db: PostgresConnection, customer: String) async throws -> Conversation? {
        let rows = try await db.query(
            "SELECT \(unescaped: conversationColumns) FROM conversations WHERE customer = \(customer)", logger: PostgresServer.quiet)
        return try await conversations(rows).first
    }

    static func conversations(_ rows: PostgresRowSequence) async throws -> [Conversation] {
        var out: [Conversation] = []
        for try await (
            customer, name, first, last, muted, away, phone, tags, attributes, run, due, handling, assignee, unread, activity, preview, resolutions,
            channel, recipient
        )
            in rows.decode(
                (
                    String, String?, Double, Double, Double?, String?, String?, String?, String?, String?, Double?, String, String?, Int, Double?,
                    String?, Int, String?, String?
                ).self)
        {
            out.append(
                Conversation(
                    customer: customer, name: name, firstInboundAt: Date(timeIntervalSince1970: first),
                    lastInboundAt: Date(timeIntervalSince1970: last), mutedUntil: muted.map(Date.init(timeIntervalSince1970:)),
                    lastAwayDay: away, phoneNumberID: phone, tags: StateRows.tags(json: tags), attributes: StateRows.attributes(json: attributes),
                    flowRun: StateRows.run(json: run), flowDueAt: due.map(Date.init(timeIntervalSince1970:)),
                    handling: Conversation.Handling(rawValue: handling) ?? .bot, assignee: assignee, unread: unread,
                    lastActivityAt: activity.map(Date.init(timeIntervalSince1970:)), lastMessage: preview, resolutions: resolutions,
                    identity: StateRows.identity(channel: channel, id: recipient, customer: customer)))
        }
        return out
    }

    // MARK: The outbox

    /// Each customer's oldest pending item.
    static let headsSQL = """
        SELECT DISTINCT ON (customer) id, next_at, lease_until FROM outbox WHERE state = 'pending' ORDER BY customer, id
        """

    package func dueOutbox(now: Date, limit: Int) async throws -> [OutboxItem] {
        let t = now.timeIntervalSince1970
        let until = t + leaseSeconds
        return try await server.transaction { db in
            let rows = try await db.query(
                """
                SELECT o.id, o.customer, o.channel, o.recipient, o.phone_number_id, o.kind, o.body, o.context, o.options, o.origin, o.answer_entry,
                    o.answer_rule, o.answer_score, o.attempts, o.created_at FROM outbox o
                WHERE o.id IN (SELECT id FROM (\(unescaped: Self.headsSQL)) heads WHERE next_at <= \(t) AND (lease_until IS NULL OR lease_until <= \(t)))
                    AND o.state = 'pending' AND o.next_at <= \(t) AND (o.lease_until IS NULL OR o.lease_until <= \(t))
                ORDER BY o.id LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """, logger: PostgresServer.quiet)
            var items: [OutboxItem] = []
            for try await (id, customer, channel, recipient, phone, kind, body, context, options, origin, entry, rule, score, attempts, created)
                in rows.decode(
                    (Int64, String, String?, String?, String, String, String, String?, String?, String?, String?, String?, Double?, Int, Double).self)
            {
                items.append(
                    OutboxItem(
                        id: id, customer: customer, recipient: StateRows.identity(channel: channel, id: recipient, customer: customer),
                        phoneNumberID: phone,
                        draft: OutboundDraft(
                            kind: OutboundDraft.Kind(rawValue: kind) ?? .text, body: body, context: context,
                            options: OutboundDraft.options(fromJSON: options), origin: OutboundDraft.Origin(stored: origin),
                            basis: AnswerBasis(entry: entry, rule: rule, score: score)), attempts: attempts,
                        createdAt: Date(timeIntervalSince1970: created)))
            }
            if !items.isEmpty {
                try await db.query("UPDATE outbox SET lease_until = \(until) WHERE id = ANY(\(items.map(\.id)))", logger: PostgresServer.quiet)
            }
            return items
        }
    }

    package func nextOutboxDue() async throws -> Date? {
        try await server.run { client in
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: "SELECT MIN(GREATEST(next_at, COALESCE(lease_until, 0))) FROM (\(Self.headsSQL)) heads"),
                logger: PostgresServer.quiet)
            for try await (due) in rows.decode(Double?.self) { return due.map(Date.init(timeIntervalSince1970:)) }
            return nil
        }
    }

    package func markSent(_ item: Int64, channelMessageID: String?, at: Date) async throws {
        let t = at.timeIntervalSince1970
        try await server.transaction { db in
            let updated = try await db.query(
                """
                UPDATE outbox SET state = 'sent', sent_at = \(t), channel_message_id = \(channelMessageID), lease_until = NULL
                WHERE id = \(item) AND state = 'pending' RETURNING kind, channel
                """, logger: PostgresServer.quiet)
            var found: (kind: String, channel: String?)?
            for try await row in updated.decode((String, String?).self) { found = row }
            guard let found else { return }
            if OutboundDraft.Kind(rawValue: found.kind).map({ OutboundDraft(kind: $0).isMessage }) == true {
                try await Self.count(db, StateRows.Counter.sent, by: 1)
                try await Self.count(db, StateRows.Counter.sent(on: found.channel ?? ChannelIdentity.whatsapp), by: 1)
            }
            // A status that raced ahead of this bookkeeping.
            if let channelMessageID {
                try await db.query(
                    """
                    UPDATE outbox SET delivery = s.status, delivery_at = s.at, delivery_error = s.error_detail
                    FROM (SELECT status, at, error_detail FROM delivery_statuses WHERE message_id = \(channelMessageID)
                          ORDER BY \(unescaped: StateRows.rankSQL("status")) DESC LIMIT 1) s
                    WHERE outbox.id = \(item)
                    """, logger: PostgresServer.quiet)
            }
        }
    }

    package func retryLater(_ item: Int64, at: Date, error: String) async throws {
        let t = at.timeIntervalSince1970
        _ = try await server.run { client in
            try await client.query(
                """
                UPDATE outbox SET attempts = attempts + 1, next_at = \(t), last_error = \(error), lease_until = NULL
                WHERE id = \(item) AND state = 'pending'
                """, logger: PostgresServer.quiet)
        }
    }

    package func markFailed(_ item: Int64, at: Date, error: String) async throws {
        let t = at.timeIntervalSince1970
        try await server.transaction { db in
            let updated = try await db.query(
                """
                UPDATE outbox SET state = 'failed', attempts = attempts + 1, sent_at = \(t), last_error = \(error), lease_until = NULL
                WHERE id = \(item) AND state = 'pending' RETURNING kind, channel
                """, logger: PostgresServer.quiet)
            for try await (kind, channel) in updated.decode((String, String?).self)
            where OutboundDraft.Kind(rawValue: kind).map({ OutboundDraft(kind: $0).isMessage }) == true {
                try await Self.count(db, StateRows.Counter.failed, by: 1)
                try await Self.count(db, StateRows.Counter.failed(on: channel ?? ChannelIdentity.whatsapp), by: 1)
            }
        }
    }

    // MARK: Conversations, statistics, privacy

    package func conversation(customer: String) async throws -> Conversation? {
        try await server.run { client in try await client.withConnection { try await Self.conversation($0, customer: customer) } }
    }

    package func conversations(_ query: ConversationQuery) async throws -> [Conversation] {
        var binds = PostgresBindings()
        func bind(_ value: some PostgresNonThrowingEncodable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        var conditions: [String] = []
        let now = query.now.timeIntervalSince1970
        switch query.status {
        case .waiting, .assigned:
            conditions.append("handling = \(bind(query.status.rawValue)) AND muted_until > \(bind(now))")
        case .mine:
            conditions.append("handling = 'assigned' AND muted_until > \(bind(now)) AND assignee = \(bind(query.agent ?? ""))")
        case .bot:
            conditions.append("(handling = 'bot' OR (handling IN ('waiting', 'assigned') AND (muted_until IS NULL OR muted_until <= \(bind(now)))))")
        case .resolved:
            conditions.append("handling = 'resolved'")
        case .all:
            break
        }
        if let pattern = query.likePattern {
            let p = bind(pattern)
            conditions.append(
                "(customer ILIKE \(p) ESCAPE '\\' OR name ILIKE \(p) ESCAPE '\\' OR tags ILIKE \(p) ESCAPE '\\' OR last_message ILIKE \(p) ESCAPE '\\')"
            )
        }
        if let after = query.after {
            conditions.append("(last_activity_at, customer) < (\(bind(after.activity.timeIntervalSince1970)), \(bind(after.customer)))")
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = """
            SELECT \(Self.conversationColumns) FROM conversations \(filter)
            ORDER BY last_activity_at DESC, customer DESC LIMIT \(bind(query.limit))
            """
        let statement = PostgresQuery(unsafeSQL: sql, binds: binds)
        return try await server.run { client in
            try await Self.conversations(client.query(statement, logger: PostgresServer.quiet))
        }
    }

    package func addNote(customer: String, agent: String, text: String, at: Date) async throws -> ConversationNote? {
        try await server.run { client in
            let rows = try await client.query(
                """
                INSERT INTO notes (customer, agent, text, at) SELECT \(customer), \(agent), \(text), \(at.timeIntervalSince1970)
                WHERE EXISTS (SELECT 1 FROM conversations WHERE customer = \(customer)) RETURNING id
                """, logger: PostgresServer.quiet)
            for try await (id) in rows.decode(Int64.self) { return ConversationNote(id: id, customer: customer, agent: agent, text: text, at: at) }
            return nil
        }
    }

    package func unmute(customer: String) async throws -> Bool {
        try await server.run { client in
            try await Self.count(
                client.query(
                    "UPDATE conversations SET muted_until = NULL WHERE customer = \(customer) RETURNING customer", logger: PostgresServer.quiet)) > 0
        }
    }

    package func statistics() async throws -> ChannelStatistics {
        try await server.run { client in
            var counters: [String: Int] = [:]
            for try await (name, count) in try await client.query("SELECT name, count FROM counters", logger: PostgresServer.quiet).decode(
                (String, Int).self)
            {
                counters[name] = count
            }
            var customers: [String: Int] = [:]
            for try await (trigger, n) in try await client.query(
                "SELECT trigger, COUNT(*) FROM trigger_customers GROUP BY trigger", logger: PostgresServer.quiet
            ).decode((String, Int).self) {
                customers[trigger] = n
            }
            var pending: [String: Int] = [:]
            for try await (channel, n) in try await client.query(
                PostgresQuery(unsafeSQL: StateRows.pendingByChannelSQL), logger: PostgresServer.quiet
            )
            .decode((String, Int).self) {
                pending[channel] = n
            }
            var conversations = 0
            for try await n in try await client.query("SELECT COUNT(*) FROM conversations", logger: PostgresServer.quiet).decode(Int.self) {
                conversations = n
            }
            return StateRows.statistics(counters: counters, customers: customers, pending: pending, conversations: conversations)
        }
    }

    package func purge(customer: String) async throws -> Int {
        try await server.transaction { db in
            var deleted = try await Self.count(
                db.query(
                    """
                    DELETE FROM delivery_statuses WHERE recipient = \(customer)
                    OR message_id IN (SELECT channel_message_id FROM outbox WHERE customer = \(customer) AND channel_message_id IS NOT NULL)
                    RETURNING 1
                    """, logger: PostgresServer.quiet))
            for table in ["inbound", "outbox", "conversations", "notes", "trigger_customers"] {
                deleted += try await Self.count(
                    db.query("DELETE FROM \(unescaped: table) WHERE customer = \(customer) RETURNING 1", logger: PostgresServer.quiet))
            }
            for (table, column) in [("identities", "contact"), ("contact_evidence", "contact"), ("merges", "target"), ("merges", "merged")] {
                deleted += try await Self.count(
                    db.query("DELETE FROM \(unescaped: table) WHERE \(unescaped: column) = \(customer) RETURNING 1", logger: PostgresServer.quiet))
            }
            return deleted
        }
    }

    package func purge(before date: Date) async throws -> Int {
        let t = date.timeIntervalSince1970
        return try await server.transaction { db in
            var deleted = 0
            let deletions: [PostgresQuery] = [
                "DELETE FROM inbound WHERE received_at < \(t) AND processed_at IS NOT NULL RETURNING 1",
                "DELETE FROM outbox WHERE created_at < \(t) AND state != 'pending' RETURNING 1",
                "DELETE FROM delivery_statuses WHERE at < \(t) RETURNING 1",
                "DELETE FROM conversations WHERE last_inbound_at < \(t) AND (muted_until IS NULL OR muted_until < \(t)) RETURNING 1",
            ]
            for query in deletions { deleted += try await Self.count(db.query(query, logger: PostgresServer.quiet)) }
            deleted += try await Self.count(
                db.query(
                    """
                    DELETE FROM trigger_customers WHERE customer NOT IN (SELECT customer FROM conversations)
                    AND customer NOT IN (SELECT customer FROM inbound) RETURNING 1
                    """,
                    logger: PostgresServer.quiet))
            deleted += try await Self.count(
                db.query("DELETE FROM notes WHERE customer NOT IN (SELECT customer FROM conversations) RETURNING 1", logger: PostgresServer.quiet))
            let contacts: [PostgresQuery] = [
                """
                DELETE FROM identities WHERE contact NOT IN (SELECT customer FROM conversations)
                AND contact NOT IN (SELECT customer FROM inbound) RETURNING 1
                """,
                "DELETE FROM contact_evidence WHERE contact NOT IN (SELECT customer FROM conversations) RETURNING 1",
                "DELETE FROM merges WHERE target NOT IN (SELECT customer FROM conversations) RETURNING 1",
            ]
            for query in contacts { deleted += try await Self.count(db.query(query, logger: PostgresServer.quiet)) }
            return deleted
        }
    }

    // MARK: Corpus edits

    package func edits() async throws -> [CorpusEdit] {
        try await server.run { client in
            let rows = try await client.query(
                "SELECT number, kind, entry, questions, answer, language, basis, made_by, made_at FROM corpus_edits ORDER BY number",
                logger: PostgresServer.quiet)
            var edits: [CorpusEdit] = []
            for try await (number, kind, entry, questions, answer, language, basis, by, at) in rows.decode(
                (Int, String, String?, String, String?, String?, String?, String, Double).self)
            {
                edits.append(
                    CorpusEdit(
                        number: number, kind: CorpusEdit.Kind(rawValue: kind) ?? .outOfScope, entry: entry,
                        questions: try JSONDecoder().decode([String].self, from: Data(questions.utf8)), answer: answer,
                        language: language, basis: basis, by: by,
                        at: Date(timeIntervalSince1970: at)))
            }
            return edits
        }
    }

    package func append(_ edit: CorpusEdit) async throws -> CorpusEdit {
        let questions = String(decoding: try JSONEncoder().encode(edit.questions), as: UTF8.self)
        return try await server.run { client in
            let rows = try await client.query(
                """
                INSERT INTO corpus_edits (kind, entry, questions, answer, language, basis, made_by, made_at)
                VALUES (\(edit.kind.rawValue), \(edit.entry), \(questions), \(edit.answer), \(edit.language), \(edit.basis),
                        \(edit.by), \(edit.at.timeIntervalSince1970))
                RETURNING number
                """, logger: PostgresServer.quiet)
            var stored = edit
            for try await number in rows.decode(Int.self) { stored.number = number }
            return stored
        }
    }

    package func suggestions() async throws -> [AnswerSuggestion] {
        try await server.run { client in
            let rows = try await client.query(
                "SELECT entry, language, source, text, made_by, made_at, rejected FROM answer_suggestions ORDER BY made_at, entry, language",
                logger: PostgresServer.quiet)
            var suggestions: [AnswerSuggestion] = []
            for try await (entry, language, source, text, by, at, rejected) in rows.decode(
                (String, String, String, String, String, Double, Bool).self)
            {
                suggestions.append(
                    AnswerSuggestion(
                        entry: entry, language: language, source: source, text: text, by: by, at: Date(timeIntervalSince1970: at),
                        rejected: rejected))
            }
            return suggestions
        }
    }

    package func suggest(_ suggestion: AnswerSuggestion) async throws {
        _ = try await server.run { client in
            try await client.query(
                """
                INSERT INTO answer_suggestions (entry, language, source, text, made_by, made_at, rejected)
                VALUES (\(suggestion.entry), \(suggestion.language), \(suggestion.source), \(suggestion.text), \(suggestion.by),
                        \(suggestion.at.timeIntervalSince1970), \(suggestion.rejected))
                ON CONFLICT (entry, language) DO UPDATE SET source = excluded.source, text = excluded.text, made_by = excluded.made_by,
                    made_at = excluded.made_at, rejected = excluded.rejected
                """, logger: PostgresServer.quiet)
        }
    }

    package func removeSuggestion(entry: String, language: String) async throws {
        _ = try await server.run { client in
            try await client.query(
                "DELETE FROM answer_suggestions WHERE entry = \(entry) AND language = \(language)", logger: PostgresServer.quiet)
        }
    }

    // MARK: Flow edits

    package func saveFlows(text: String, by: String, at: Date) async throws -> StoredFlows {
        try await server.run { client in
            let rows = try await client.query(
                "INSERT INTO flow_edits (text, made_by, made_at) VALUES (\(text), \(by), \(at.timeIntervalSince1970)) RETURNING number",
                logger: PostgresServer.quiet)
            var number = 0
            for try await stored in rows.decode(Int.self) { number = stored }
            return StoredFlows(number: number, text: text, by: by, at: at)
        }
    }

    package func latestFlows() async throws -> StoredFlows? {
        try await server.run { client in
            let rows = try await client.query(
                "SELECT number, text, made_by, made_at FROM flow_edits ORDER BY number DESC LIMIT 1", logger: PostgresServer.quiet)
            var latest: StoredFlows?
            for try await (number, text, by, at) in rows.decode((Int, String, String, Double).self) {
                latest = StoredFlows(number: number, text: text, by: by, at: Date(timeIntervalSince1970: at))
            }
            return latest
        }
    }

    // MARK: Helpers

    static func count(_ db: PostgresConnection, _ name: String, by amount: Int) async throws {
        guard amount != 0 else { return }
        try await db.query(
            "INSERT INTO counters (name, count) VALUES (\(name), \(amount)) ON CONFLICT (name) DO UPDATE SET count = counters.count + excluded.count",
            logger: PostgresServer.quiet)
    }

    /// Rows of a `RETURNING` query: how many were changed.
    static func count(_ rows: PostgresRowSequence) async throws -> Int {
        var n = 0
        for try await _ in rows { n += 1 }
        return n
    }
}
