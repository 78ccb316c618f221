package import Foundation
import GRDB
package import IntentChannels

/// The service's state on one machine: the channel's `ConversationStore` and the console's
/// `CorpusEditStore`, in one SQLite file (WAL mode) through GRDB, by default `.intent/state.sqlite`.
///
/// Tables: `inbound` (message id as primary key: the deduplication), `conversations`,
/// `outbox` (queued replies with attempts and delivery statuses), `delivery_statuses`,
/// `counters` and `trigger_customers` (distinct customers per trigger), `corpus_edits`, `answer_suggestions`,
/// `flow_edits` (the console's flow documents), `agents` (their tokens' hashes and roles),
/// `quick_replies` (the inbox's canned answers), `identities`, `contact_evidence` and `merges`
/// (contacts across channels, in `SQLiteStateStore+Contacts`).
/// SQLite serialises writers, so each protocol method's transaction sees no interleaving.
package final class SQLiteStateStore: ConversationStore {
    package let path: String
    let pool: DatabasePool
    /// The file as opened: a file deleted or replaced under a running service is noticed.
    private let opened: SQLiteFile.FileIdentity?

    package init(path: String) throws {
        self.path = path
        pool = try SQLiteFile.open(path, migrator: Self.migrator)
        opened = SQLiteFile.identity(of: path)
    }

    package func lostReason() async throws -> String? {
        switch SQLiteFile.identity(of: path) {
        case opened: return nil
        case nil:
            return
                "the state file was deleted while serving: what is written now would be lost at the next start; restart the service (it creates a new file) or restore the file and restart"
        default:
            return "the state file was replaced while serving: this process still writes to the old one; restart the service to use the new file"
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-conversations") { db in
            try db.execute(
                sql: """
                    CREATE TABLE inbound (
                        id TEXT PRIMARY KEY, customer TEXT NOT NULL, customer_name TEXT, phone_number_id TEXT NOT NULL,
                        type TEXT NOT NULL, text TEXT, sent_at REAL NOT NULL, received_at REAL NOT NULL, processed_at REAL);
                    CREATE INDEX inbound_unprocessed ON inbound (received_at) WHERE processed_at IS NULL;
                    CREATE INDEX inbound_by_customer ON inbound (customer);
                    CREATE TABLE conversations (
                        customer TEXT PRIMARY KEY, name TEXT, first_inbound_at REAL NOT NULL, last_inbound_at REAL NOT NULL,
                        muted_until REAL, last_away_day TEXT);
                    CREATE TABLE outbox (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, customer TEXT NOT NULL, phone_number_id TEXT NOT NULL,
                        kind TEXT NOT NULL, body TEXT NOT NULL, context TEXT, inbound_id TEXT,
                        state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, next_at REAL NOT NULL,
                        created_at REAL NOT NULL, sent_at REAL, channel_message_id TEXT, last_error TEXT,
                        delivery TEXT, delivery_at REAL, delivery_error TEXT);
                    CREATE INDEX outbox_pending ON outbox (customer, id) WHERE state = 'pending';
                    CREATE INDEX outbox_by_channel_id ON outbox (channel_message_id);
                    CREATE TABLE delivery_statuses (
                        message_id TEXT NOT NULL, status TEXT NOT NULL, at REAL NOT NULL, recipient TEXT,
                        error_code INTEGER, error_detail TEXT, PRIMARY KEY (message_id, status));
                    CREATE TABLE counters (name TEXT PRIMARY KEY, count INTEGER NOT NULL);
                    CREATE TABLE trigger_customers (trigger TEXT NOT NULL, customer TEXT NOT NULL, PRIMARY KEY (trigger, customer));
                    """)
        }
        migrator.registerMigration("v2-corpus-edits") { db in
            try db.execute(
                sql: """
                    CREATE TABLE corpus_edits (
                        number INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, entry TEXT, questions TEXT NOT NULL,
                        answer TEXT, made_by TEXT NOT NULL, made_at REAL NOT NULL);
                    """)
        }
        migrator.registerMigration("v3-answer-edits") { db in
            try db.execute(sql: "ALTER TABLE corpus_edits ADD COLUMN language TEXT; ALTER TABLE corpus_edits ADD COLUMN basis TEXT")
        }
        migrator.registerMigration("v4-answer-suggestions") { db in
            try db.execute(
                sql: """
                    CREATE TABLE answer_suggestions (
                        entry TEXT NOT NULL, language TEXT NOT NULL, source TEXT NOT NULL, text TEXT NOT NULL, made_by TEXT NOT NULL,
                        made_at REAL NOT NULL, rejected INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (entry, language));
                    """)
        }
        migrator.registerMigration("v5-flows") { db in
            try db.execute(
                sql: """
                    ALTER TABLE conversations ADD COLUMN phone_number_id TEXT;
                    ALTER TABLE conversations ADD COLUMN tags TEXT;
                    ALTER TABLE conversations ADD COLUMN attributes TEXT;
                    ALTER TABLE conversations ADD COLUMN flow_run TEXT;
                    ALTER TABLE conversations ADD COLUMN flow_due_at REAL;
                    CREATE INDEX conversations_flow_due ON conversations (flow_due_at) WHERE flow_due_at IS NOT NULL;
                    ALTER TABLE inbound ADD COLUMN choice TEXT;
                    ALTER TABLE outbox ADD COLUMN options TEXT;
                    """)
        }
        migrator.registerMigration("v6-flow-edits") { db in
            try db.execute(
                sql: """
                    CREATE TABLE flow_edits (
                        number INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL, made_by TEXT NOT NULL, made_at REAL NOT NULL);
                    """)
        }
        migrator.registerMigration("v7-timeline") { db in
            try db.execute(sql: "ALTER TABLE inbound ADD COLUMN reply_to TEXT; ALTER TABLE outbox ADD COLUMN origin TEXT")
        }
        migrator.registerMigration("v8-agents") { db in
            try db.execute(
                sql: """
                    CREATE TABLE agents (
                        name TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('viewer', 'agent', 'admin')),
                        token_hash TEXT NOT NULL UNIQUE, created_at REAL NOT NULL, token_rotated_at REAL NOT NULL, last_seen_at REAL);
                    """)
        }
        migrator.registerMigration("v9-inbox") { db in
            try db.execute(
                sql: """
                    ALTER TABLE conversations ADD COLUMN handling TEXT NOT NULL DEFAULT 'bot';
                    ALTER TABLE conversations ADD COLUMN assignee TEXT;
                    ALTER TABLE conversations ADD COLUMN unread INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE conversations ADD COLUMN last_activity_at REAL;
                    ALTER TABLE conversations ADD COLUMN last_message TEXT;
                    ALTER TABLE conversations ADD COLUMN resolutions INTEGER NOT NULL DEFAULT 0;
                    UPDATE conversations SET last_activity_at = last_inbound_at,
                        handling = CASE WHEN muted_until IS NULL THEN 'bot' ELSE 'waiting' END;
                    CREATE INDEX conversations_activity ON conversations (last_activity_at, customer);
                    CREATE INDEX conversations_handling ON conversations (handling, last_activity_at, customer);
                    CREATE INDEX conversations_assignee ON conversations (assignee, last_activity_at, customer) WHERE assignee IS NOT NULL;
                    CREATE TABLE notes (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, customer TEXT NOT NULL, agent TEXT NOT NULL, text TEXT NOT NULL, at REAL NOT NULL);
                    CREATE INDEX notes_by_customer ON notes (customer, at);
                    """)
        }
        migrator.registerMigration("v10-quick-replies") { db in
            try db.execute(
                sql: "CREATE TABLE quick_replies (shortcut TEXT PRIMARY KEY, text TEXT NOT NULL, updated_by TEXT NOT NULL, updated_at REAL NOT NULL)")
        }
        migrator.registerMigration("v11-answer-basis") { db in
            try db.execute(
                sql: """
                    ALTER TABLE outbox ADD COLUMN answer_entry TEXT;
                    ALTER TABLE outbox ADD COLUMN answer_rule TEXT;
                    ALTER TABLE outbox ADD COLUMN answer_score REAL;
                    ALTER TABLE inbound ADD COLUMN caption TEXT;
                    ALTER TABLE agents ADD COLUMN display_name TEXT;
                    """)
        }
        migrator.registerMigration("v12-channels") { db in
            // NULL in the new columns: a row from before other channels, a WhatsApp number's.
            try db.execute(
                sql: """
                    ALTER TABLE inbound ADD COLUMN channel TEXT;
                    ALTER TABLE inbound ADD COLUMN sender TEXT;
                    ALTER TABLE outbox ADD COLUMN channel TEXT;
                    ALTER TABLE outbox ADD COLUMN recipient TEXT;
                    ALTER TABLE conversations ADD COLUMN channel TEXT;
                    ALTER TABLE conversations ADD COLUMN recipient TEXT;
                    \(StateRows.seedChannelCountersSQL)
                    """)
        }
        migrator.registerMigration("v13-contacts") { db in try db.execute(sql: contactsMigrationSQL) }
        migrator.registerMigration("v14-message-language") { db in try db.execute(sql: "ALTER TABLE inbound ADD COLUMN language TEXT") }
        migrator.registerMigration("v15-phone-evidence-e164") { db in
            for statement in StateRows.phoneEvidenceE164SQL { try db.execute(sql: statement) }
        }
        return migrator
    }

    package func receive(_ messages: [InboundMessage], statuses: [DeliveryStatus], at: Date) async throws -> [InboundMessage] {
        try await pool.write { db in
            var fresh: [InboundMessage] = []
            for var message in messages {
                message.customer = try Self.contact(db, of: message, at: at)
                try db.execute(
                    sql: """
                        INSERT INTO inbound (
                            id, customer, channel, sender, customer_name, phone_number_id, type, text, caption, choice, reply_to, sent_at, received_at,
                            language)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING
                        """,
                    arguments: [
                        message.id, message.customer, message.channel, message.sender, message.customerName, message.phoneNumberID,
                        message.type, message.text, message.caption, message.choice, message.replyTo, message.sentAt.timeIntervalSince1970,
                        at.timeIntervalSince1970, message.language,
                    ])
                guard db.changesCount > 0 else { continue }
                fresh.append(message)
                try Self.count(db, StateRows.Counter.received(on: message.channel), by: 1)
                try db.execute(
                    sql: "INSERT INTO trigger_customers (trigger, customer) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    arguments: [StateRows.Counter.customers(on: message.channel), message.customer])
            }
            try Self.count(db, StateRows.Counter.received, by: fresh.count)
            try Self.count(db, StateRows.Counter.duplicates, by: messages.count - fresh.count)
            for status in statuses {
                try db.execute(
                    sql: """
                        INSERT INTO delivery_statuses (message_id, status, at, recipient, error_code, error_detail)
                        VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                        """,
                    arguments: [
                        status.messageID, status.status, status.at.timeIntervalSince1970, status.recipient, status.errorCode,
                        status.errorDetail,
                    ])
                guard db.changesCount > 0 else { continue }
                // Statuses can arrive out of order: a later stage never goes back ("read" after "delivered").
                try db.execute(
                    sql: """
                        UPDATE outbox SET delivery = ?, delivery_at = ?, delivery_error = ?
                        WHERE channel_message_id = ? AND (delivery IS NULL OR ? >= \(StateRows.rankSQL("delivery")))
                        """,
                    arguments: [
                        status.status, status.at.timeIntervalSince1970, status.errorDetail, status.messageID,
                        StateRows.rank(status.status),
                    ])
                if status.status == "failed" { try Self.count(db, StateRows.Counter.deliveryFailed, by: 1) }
            }
            return fresh
        }
    }

    package func unprocessed(limit: Int) async throws -> [InboundMessage] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM inbound WHERE processed_at IS NULL ORDER BY received_at, rowid LIMIT ?", arguments: [limit]
            ).map(Self.message)
        }
    }

    static func message(_ row: Row) -> InboundMessage {
        var message = InboundMessage(
            id: row["id"], from: StateRows.identity(channel: row["channel"], id: row["sender"], customer: row["customer"]),
            customerName: row["customer_name"], account: row["phone_number_id"], type: row["type"], text: row["text"], caption: row["caption"],
            choice: row["choice"],
            replyTo: row["reply_to"], sentAt: Date(timeIntervalSince1970: row["sent_at"]), language: row["language"])
        message.customer = row["customer"]
        return message
    }

    package func process(_ message: InboundMessage, at: Date, plan: @escaping @Sendable (Conversation?) -> ConversationPlan) async throws -> Bool {
        try await pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT processed_at, customer FROM inbound WHERE id = ?", arguments: [message.id]),
                row["processed_at"] as Double? == nil
            else { return false }
            // The contact as stored now: a merge since the message was read moved it.
            var message = message
            message.customer = row["customer"]
            // The customer's earlier message first, whoever decides it: a flow's answers arrive in order.
            let earlier = try Bool.fetchOne(
                db,
                sql: """
                    SELECT EXISTS (SELECT 1 FROM inbound o, inbound m WHERE m.id = ? AND o.customer = m.customer AND o.processed_at IS NULL
                        AND (o.received_at < m.received_at OR (o.received_at = m.received_at AND o.rowid < m.rowid)))
                    """, arguments: [message.id])
            if earlier == true { return false }
            let existing = try Self.conversation(db, customer: message.customer)
            let decided = plan(existing).stamped(at: at, inbound: message)
            try Self.apply(
                decided, db, customer: message.customer, recipient: message.identity, phoneNumberID: message.phoneNumberID, inboundID: message.id,
                at: at)
            try db.execute(sql: "UPDATE inbound SET processed_at = ? WHERE id = ?", arguments: [at.timeIntervalSince1970, message.id])
            return true
        }
    }

    package func advance(
        customer: String, at: Date, finishing: FinishedItem?, plan: @escaping @Sendable (Conversation) -> ConversationPlan?
    ) async throws -> [Int64]? {
        try await pool.write { db in
            if let finishing {
                try db.execute(
                    sql: """
                        UPDATE outbox SET state = ?, attempts = attempts + ?, sent_at = ?, last_error = COALESCE(?, last_error)
                        WHERE id = ? AND state = 'pending'
                        """,
                    arguments: [
                        finishing.failure == nil ? "sent" : "failed", finishing.failure == nil ? 0 : 1, at.timeIntervalSince1970,
                        finishing.failure, finishing.id,
                    ])
                guard db.changesCount > 0 else { return nil }
            }
            guard let conversation = try Self.conversation(db, customer: customer) else { return nil }
            guard let decided = plan(conversation)?.stamped(at: at, inbound: nil) else { return [] }
            let number =
                try conversation.phoneNumberID
                ?? String.fetchOne(
                    db, sql: "SELECT phone_number_id FROM inbound WHERE customer = ? ORDER BY sent_at DESC LIMIT 1", arguments: [customer])
            return try Self.apply(
                decided, db, customer: customer, recipient: conversation.identity, phoneNumberID: number ?? "", inboundID: nil, at: at)
        }
    }

    package func offeredQuestion(choiceMessage channelMessageID: String) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(
                db,
                sql: """
                    SELECT i.text FROM outbox o JOIN inbound i ON i.id = o.inbound_id
                    WHERE o.channel_message_id = ? AND o.kind IN ('buttons', 'list') LIMIT 1
                    """, arguments: [channelMessageID])
        }
    }

    package func timeline(customer: String, before: Date?, limit: Int) async throws -> [TimelineItem] {
        let before = before?.timeIntervalSince1970 ?? .greatestFiniteMagnitude
        return try await pool.read { db in
            var items: [TimelineItem] = []
            for row in try Row.fetchAll(
                db, sql: "SELECT * FROM inbound WHERE customer = ? AND received_at < ? ORDER BY received_at DESC, rowid DESC LIMIT ?",
                arguments: [customer, before, limit])
            {
                items.append(
                    TimelineItem.inbound(
                        id: row["id"], type: row["type"], text: row["text"], caption: row["caption"], choice: row["choice"], at: row["received_at"],
                        channel: row["channel"]))
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM outbox WHERE customer = ? AND \(TimelineItem.shownKindsSQL) AND created_at < ?
                    ORDER BY created_at DESC, id DESC LIMIT ?
                    """, arguments: [customer, before, limit])
            {
                items.append(
                    TimelineItem.outbound(
                        id: row["id"], kind: row["kind"], body: row["body"], options: row["options"], origin: row["origin"], basis: Self.basis(row),
                        state: row["state"], delivery: row["delivery"], lastError: row["last_error"], deliveryError: row["delivery_error"],
                        at: row["created_at"], channel: row["channel"]))
            }
            for row in try Row.fetchAll(
                db, sql: "SELECT * FROM notes WHERE customer = ? AND at < ? ORDER BY at DESC, id DESC LIMIT ?", arguments: [customer, before, limit])
            {
                items.append(Self.note(row).timelineItem)
            }
            return TimelineItem.newestFirst(items, limit: limit)
        }
    }

    package func dueFlowRuns(now: Date, limit: Int) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT customer FROM conversations WHERE flow_due_at <= ? ORDER BY flow_due_at LIMIT ?",
                arguments: [now.timeIntervalSince1970, limit])
        }
    }

    /// Stores a plan: the conversation, its replies in the outbox, its counters. Returns the
    /// outbox items queued.
    @discardableResult
    static func apply(
        _ decided: ConversationPlan, _ db: Database, customer: String, recipient: ChannelIdentity, phoneNumberID: String, inboundID: String?,
        at: Date
    ) throws
        -> [Int64]
    {
        let recipient = decided.recipient ?? recipient
        let phoneNumberID = decided.account ?? phoneNumberID
        if let c = decided.conversation {
            try db.execute(
                sql: """
                    INSERT INTO conversations (
                        customer, name, first_inbound_at, last_inbound_at, muted_until, last_away_day, phone_number_id, tags, attributes,
                        flow_run, flow_due_at, handling, assignee, unread, last_activity_at, last_message, resolutions, channel, recipient)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (customer) DO UPDATE SET name = excluded.name, last_inbound_at = excluded.last_inbound_at,
                        muted_until = excluded.muted_until, last_away_day = excluded.last_away_day,
                        phone_number_id = excluded.phone_number_id, tags = excluded.tags, attributes = excluded.attributes,
                        flow_run = excluded.flow_run, flow_due_at = excluded.flow_due_at, handling = excluded.handling,
                        assignee = excluded.assignee, unread = excluded.unread, last_activity_at = excluded.last_activity_at,
                        last_message = excluded.last_message, resolutions = excluded.resolutions, channel = excluded.channel,
                        recipient = excluded.recipient
                    """,
                arguments: [
                    c.customer, c.name, c.firstInboundAt.timeIntervalSince1970, c.lastInboundAt.timeIntervalSince1970,
                    c.mutedUntil?.timeIntervalSince1970, c.lastAwayDay, c.phoneNumberID, StateRows.json(tags: c.tags),
                    StateRows.json(attributes: c.attributes), StateRows.json(run: c.flowRun), c.flowDueAt?.timeIntervalSince1970,
                    c.handling.rawValue, c.assignee, c.unread, c.lastActivityAt.timeIntervalSince1970, c.lastMessage, c.resolutions,
                    c.identity.channel, c.identity.id,
                ])
            try recordEvidence(c.collected, db, contact: customer, at: at)
        }
        var queued: [Int64] = []
        for reply in decided.replies {
            try db.execute(
                sql: """
                    INSERT INTO outbox (
                        customer, channel, recipient, phone_number_id, kind, body, context, options, origin, answer_entry, answer_rule, answer_score,
                        inbound_id, next_at, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    customer, recipient.channel, recipient.id, phoneNumberID, reply.kind.rawValue, reply.body, reply.context, reply.optionsJSON,
                    reply.origin.stored, reply.basis?.entry, reply.basis?.rule, reply.basis?.score, inboundID, at.timeIntervalSince1970,
                    at.timeIntervalSince1970,
                ])
            queued.append(db.lastInsertedRowID)
        }
        for trigger in decided.triggers {
            try count(db, trigger.key, by: 1)
            try db.execute(
                sql: "INSERT INTO trigger_customers (trigger, customer) VALUES (?, ?) ON CONFLICT DO NOTHING", arguments: [trigger.key, customer])
        }
        return queued
    }

    /// An outbox row's `answer_*` columns.
    static func basis(_ row: Row) -> AnswerBasis? {
        AnswerBasis(entry: row["answer_entry"], rule: row["answer_rule"], score: row["answer_score"])
    }

    static func conversation(_ db: Database, customer: String) throws -> Conversation? {
        try Row.fetchOne(db, sql: "SELECT * FROM conversations WHERE customer = ?", arguments: [customer]).map(conversation)
    }

    static func conversation(_ row: Row) -> Conversation {
        Conversation(
            customer: row["customer"], name: row["name"], firstInboundAt: Date(timeIntervalSince1970: row["first_inbound_at"]),
            lastInboundAt: Date(timeIntervalSince1970: row["last_inbound_at"]),
            mutedUntil: (row["muted_until"] as Double?).map(Date.init(timeIntervalSince1970:)), lastAwayDay: row["last_away_day"],
            phoneNumberID: row["phone_number_id"], tags: StateRows.tags(json: row["tags"]), attributes: StateRows.attributes(json: row["attributes"]),
            flowRun: StateRows.run(json: row["flow_run"]), flowDueAt: (row["flow_due_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            handling: Conversation.Handling(rawValue: row["handling"] ?? "") ?? .bot, assignee: row["assignee"], unread: row["unread"] ?? 0,
            lastActivityAt: (row["last_activity_at"] as Double?).map(Date.init(timeIntervalSince1970:)), lastMessage: row["last_message"],
            resolutions: row["resolutions"] ?? 0,
            identity: StateRows.identity(channel: row["channel"], id: row["recipient"], customer: row["customer"]))
    }

    /// The oldest pending item of each customer.
    static let headsSQL = """
        FROM outbox o WHERE o.state = 'pending'
        AND o.id = (SELECT MIN(p.id) FROM outbox p WHERE p.customer = o.customer AND p.state = 'pending')
        """

    package func dueOutbox(now: Date, limit: Int) async throws -> [OutboxItem] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT o.* \(Self.headsSQL) AND o.next_at <= ? ORDER BY o.id LIMIT ?", arguments: [now.timeIntervalSince1970, limit]
            )
            .map { row in
                OutboxItem(
                    id: row["id"], customer: row["customer"],
                    recipient: StateRows.identity(channel: row["channel"], id: row["recipient"], customer: row["customer"]),
                    phoneNumberID: row["phone_number_id"],
                    draft: OutboundDraft(
                        kind: OutboundDraft.Kind(rawValue: row["kind"]) ?? .text, body: row["body"], context: row["context"],
                        options: OutboundDraft.options(fromJSON: row["options"]), origin: OutboundDraft.Origin(stored: row["origin"]),
                        basis: Self.basis(row)),
                    attempts: row["attempts"], createdAt: Date(timeIntervalSince1970: row["created_at"]))
            }
        }
    }

    package func nextOutboxDue() async throws -> Date? {
        try await pool.read { db in
            try Double.fetchOne(db, sql: "SELECT MIN(o.next_at) \(Self.headsSQL)").map(Date.init(timeIntervalSince1970:))
        }
    }

    package func markSent(_ item: Int64, channelMessageID: String?, at: Date) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE outbox SET state = 'sent', sent_at = ?, channel_message_id = ? WHERE id = ? AND state = 'pending'",
                arguments: [at.timeIntervalSince1970, channelMessageID, item])
            guard db.changesCount > 0 else { return }
            if let channel = try Self.messageChannel(db, item) {
                try Self.count(db, StateRows.Counter.sent, by: 1)
                try Self.count(db, StateRows.Counter.sent(on: channel), by: 1)
            }
            // A status that raced ahead of this bookkeeping.
            if let channelMessageID,
                let status = try Row.fetchOne(
                    db, sql: "SELECT * FROM delivery_statuses WHERE message_id = ? ORDER BY \(StateRows.rankSQL("status")) DESC LIMIT 1",
                    arguments: [channelMessageID])
            {
                try db.execute(
                    sql: "UPDATE outbox SET delivery = ?, delivery_at = ?, delivery_error = ? WHERE id = ?",
                    arguments: [status["status"] as String, status["at"] as Double, status["error_detail"] as String?, item])
            }
        }
    }

    package func retryLater(_ item: Int64, at: Date, error: String) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ? AND state = 'pending'",
                arguments: [at.timeIntervalSince1970, error, item])
        }
    }

    package func markFailed(_ item: Int64, at: Date, error: String) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE outbox SET state = 'failed', attempts = attempts + 1, sent_at = ?, last_error = ? WHERE id = ? AND state = 'pending'",
                arguments: [at.timeIntervalSince1970, error, item])
            if db.changesCount > 0, let channel = try Self.messageChannel(db, item) {
                try Self.count(db, StateRows.Counter.failed, by: 1)
                try Self.count(db, StateRows.Counter.failed(on: channel), by: 1)
            }
        }
    }

    package func conversation(customer: String) async throws -> Conversation? {
        try await pool.read { db in try Self.conversation(db, customer: customer) }
    }

    package func conversations(_ query: ConversationQuery) async throws -> [Conversation] {
        let now = query.now.timeIntervalSince1970
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        switch query.status {
        case .waiting, .assigned:
            conditions.append("handling = ? AND muted_until > ?")
            arguments += [query.status.rawValue, now]
        case .mine:
            conditions.append("handling = 'assigned' AND muted_until > ? AND assignee = ?")
            arguments += [now, query.agent ?? ""]
        case .bot:
            conditions.append("(handling = 'bot' OR (handling IN ('waiting', 'assigned') AND (muted_until IS NULL OR muted_until <= ?)))")
            arguments.append(now)
        case .resolved:
            conditions.append("handling = 'resolved'")
        case .all:
            break
        }
        if let pattern = query.likePattern {
            conditions.append(
                "(customer LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\' OR tags LIKE ? ESCAPE '\\' OR last_message LIKE ? ESCAPE '\\')")
            arguments += [pattern, pattern, pattern, pattern]
        }
        if let after = query.after {
            let t = after.activity.timeIntervalSince1970
            // A row value, not an OR: SQLite seeks the index to it instead of scanning from the top.
            conditions.append("(last_activity_at, customer) < (?, ?)")
            arguments += [t, after.customer]
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments.append(query.limit)
        let statement = StatementArguments(arguments)
        return try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM conversations \(filter) ORDER BY last_activity_at DESC, customer DESC LIMIT ?", arguments: statement
            ).map(Self.conversation)
        }
    }

    package func addNote(customer: String, agent: String, text: String, at: Date) async throws -> ConversationNote? {
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM conversations WHERE customer = ?)", arguments: [customer]) == true
            else { return nil }
            try db.execute(
                sql: "INSERT INTO notes (customer, agent, text, at) VALUES (?, ?, ?, ?)",
                arguments: [customer, agent, text, at.timeIntervalSince1970])
            return ConversationNote(id: db.lastInsertedRowID, customer: customer, agent: agent, text: text, at: at)
        }
    }

    static func note(_ row: Row) -> ConversationNote {
        ConversationNote(id: row["id"], customer: row["customer"], agent: row["agent"], text: row["text"], at: Date(timeIntervalSince1970: row["at"]))
    }

    /// The latest delivery status of a sent message (`sent`, `delivered`, `read`, `failed`).
    package func delivery(ofChannelMessage id: String) async throws -> String? {
        try await pool.read { db in try String.fetchOne(db, sql: "SELECT delivery FROM outbox WHERE channel_message_id = ?", arguments: [id]) }
    }

    package func unmute(customer: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE conversations SET muted_until = NULL WHERE customer = ?", arguments: [customer])
            return db.changesCount > 0
        }
    }

    package func statistics() async throws -> ChannelStatistics {
        try await pool.read { db in
            var counters: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, count FROM counters") { counters[row["name"]] = row["count"] }
            var customers: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT trigger, COUNT(*) AS n FROM trigger_customers GROUP BY trigger") {
                customers[row["trigger"]] = row["n"]
            }
            var pending: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: StateRows.pendingByChannelSQL) { pending[row["channel"]] = row["n"] }
            return StateRows.statistics(
                counters: counters, customers: customers, pending: pending,
                conversations: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM conversations") ?? 0)
        }
    }

    package func purge(customer: String) async throws -> Int {
        try await pool.write { db in
            var deleted = 0
            try db.execute(
                sql: """
                    DELETE FROM delivery_statuses WHERE recipient = ?
                    OR message_id IN (SELECT channel_message_id FROM outbox WHERE customer = ? AND channel_message_id IS NOT NULL)
                    """,
                arguments: [customer, customer])
            deleted += db.changesCount
            for table in ["inbound", "outbox", "conversations", "notes", "trigger_customers"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE customer = ?", arguments: [customer])
                deleted += db.changesCount
            }
            for (table, column) in [("identities", "contact"), ("contact_evidence", "contact"), ("merges", "target"), ("merges", "merged")] {
                try db.execute(sql: "DELETE FROM \(table) WHERE \(column) = ?", arguments: [customer])
                deleted += db.changesCount
            }
            return deleted
        }
    }

    package func purge(before date: Date) async throws -> Int {
        let t = date.timeIntervalSince1970
        return try await pool.write { db in
            var deleted = 0
            for (sql, arguments) in [
                ("DELETE FROM inbound WHERE received_at < ? AND processed_at IS NOT NULL", [t]),
                ("DELETE FROM outbox WHERE created_at < ? AND state != 'pending'", [t]),
                ("DELETE FROM delivery_statuses WHERE at < ?", [t]),
                ("DELETE FROM conversations WHERE last_inbound_at < ? AND (muted_until IS NULL OR muted_until < ?)", [t, t]),
                // A customer whose first message waits to be decided has no conversation yet, but counts.
                (
                    """
                    DELETE FROM trigger_customers WHERE customer NOT IN (SELECT customer FROM conversations)
                    AND customer NOT IN (SELECT customer FROM inbound)
                    """, []
                ),
                ("DELETE FROM notes WHERE customer NOT IN (SELECT customer FROM conversations)", []),
                (
                    """
                    DELETE FROM identities WHERE contact NOT IN (SELECT customer FROM conversations)
                    AND contact NOT IN (SELECT customer FROM inbound)
                    """, []
                ),
                ("DELETE FROM contact_evidence WHERE contact NOT IN (SELECT customer FROM conversations)", []),
                ("DELETE FROM merges WHERE target NOT IN (SELECT customer FROM conversations)", []),
            ] as [(String, [Double])] {
                try db.execute(sql: sql, arguments: StatementArguments(arguments))
                deleted += db.changesCount
            }
            return deleted
        }
    }

    /// The channel of an item the customer sees (counted as sent or failed); nil for one they do not.
    static func messageChannel(_ db: Database, _ item: Int64) throws -> String? {
        guard let row = try Row.fetchOne(db, sql: "SELECT kind, channel FROM outbox WHERE id = ?", arguments: [item]),
            let kind = OutboundDraft.Kind(rawValue: row["kind"]), OutboundDraft(kind: kind).isMessage
        else { return nil }
        return row["channel"] ?? ChannelIdentity.whatsapp
    }

    static func count(_ db: Database, _ name: String, by amount: Int) throws {
        guard amount != 0 else { return }
        try db.execute(
            sql: "INSERT INTO counters (name, count) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET count = count + excluded.count",
            arguments: [name, amount])
    }
}
