package import Foundation
import GRDB
package import IntentChannels

/// Contacts across channels: which contact each channel identity is (`identities`), the phone
/// numbers and e-mail addresses flows collected (`contact_evidence`), and merges with what they
/// moved (`merges`), so that each is undone exactly.
extension SQLiteStateStore {
    /// The tables, with every identity already seen (in messages, or on conversations whose
    /// messages retention deleted) as the contact it wrote to.
    static let contactsMigrationSQL = """
        CREATE TABLE identities (
            channel TEXT NOT NULL, external_id TEXT NOT NULL, contact TEXT NOT NULL, first_seen_at REAL NOT NULL,
            last_seen_at REAL NOT NULL, account TEXT, PRIMARY KEY (channel, external_id));
        CREATE INDEX identities_by_contact ON identities (contact);
        INSERT OR IGNORE INTO identities (channel, external_id, contact, first_seen_at, last_seen_at, account)
            SELECT COALESCE(channel, 'whatsapp'), COALESCE(sender, customer), MIN(customer), MIN(sent_at), MAX(sent_at),
                MAX(phone_number_id) FROM inbound
            GROUP BY COALESCE(channel, 'whatsapp'), COALESCE(sender, customer);
        INSERT OR IGNORE INTO identities (channel, external_id, contact, first_seen_at, last_seen_at, account)
            SELECT COALESCE(channel, 'whatsapp'), COALESCE(recipient, customer), customer, first_inbound_at, last_inbound_at, phone_number_id
            FROM conversations;
        CREATE TABLE contact_evidence (
            id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, value TEXT NOT NULL, contact TEXT NOT NULL, at REAL NOT NULL);
        CREATE INDEX contact_evidence_by_value ON contact_evidence (kind, value);
        CREATE INDEX contact_evidence_by_contact ON contact_evidence (contact);
        CREATE TABLE merges (
            id INTEGER PRIMARY KEY AUTOINCREMENT, merged TEXT NOT NULL, target TEXT NOT NULL, at REAL NOT NULL, record TEXT NOT NULL,
            undone_at REAL);
        CREATE INDEX merges_active ON merges (merged) WHERE undone_at IS NULL;
        CREATE INDEX outbox_by_customer ON outbox (customer);
        """

    /// The contact `message`'s sender is: a known identity's; a new WhatsApp number's first
    /// message, the contact's that gave the number (`joinPhoneGiver`); else a new one keyed by the
    /// identity (recorded). Either way the identity's last message time (and the account written
    /// to with it) moves on.
    static func contact(_ db: Database, of message: InboundMessage, at: Date) throws -> String {
        if let giver = try joinPhoneGiver(db, message, at: at) { return giver }
        let sent = message.sentAt.timeIntervalSince1970
        try db.execute(
            sql: """
                INSERT INTO identities (channel, external_id, contact, first_seen_at, last_seen_at, account) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (channel, external_id) DO UPDATE SET last_seen_at = MAX(last_seen_at, excluded.last_seen_at),
                    account = CASE WHEN excluded.last_seen_at >= last_seen_at THEN excluded.account ELSE account END
                """,
            arguments: [message.channel, message.sender, message.identity.key, sent, sent, message.phoneNumberID])
        return try String.fetchOne(
            db, sql: "SELECT contact FROM identities WHERE channel = ? AND external_id = ?", arguments: [message.channel, message.sender])
            ?? message.identity.key
    }

    /// A WhatsApp number writing for the first time whose number a contact gave (a flow's
    /// `expect: phone`) joins that contact before its message is decided (so it is greeted as the
    /// contact, not as new): the identity is the giver's, recorded as a merge of the number's own
    /// contact into the giver's, which `unmerge` undoes as any. Nil when the message is not such.
    static func joinPhoneGiver(_ db: Database, _ message: InboundMessage, at: Date) throws -> String? {
        guard message.channel == ChannelIdentity.whatsapp,
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM identities WHERE channel = ? AND external_id = ?)",
                arguments: [message.channel, message.sender]) == false,
            let giverID = try String.fetchOne(db, sql: StateRows.phoneGiverSQL(placeholder: { _ in "?" }), arguments: [message.sender]),
            let giver = try conversation(db, customer: giverID)
        else { return nil }
        let sent = message.sentAt.timeIntervalSince1970
        try db.execute(
            sql: "INSERT INTO identities (channel, external_id, contact, first_seen_at, last_seen_at, account) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [message.channel, message.sender, giverID, sent, sent, message.phoneNumberID])
        let counted = try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM trigger_customers WHERE trigger = ? AND customer = ?)",
            arguments: [StateRows.Counter.customers(on: message.channel), giverID])
        let record = ContactMerge.joining(message, giver: giver, giverCounted: counted == true)
        try db.execute(
            sql: "INSERT INTO merges (merged, target, at, record) VALUES (?, ?, ?, ?)",
            arguments: [message.identity.key, giverID, at.timeIntervalSince1970, record.json])
        return giverID
    }

    static func recordEvidence(_ evidence: [ContactEvidence], _ db: Database, contact: String, at: Date) throws {
        for fact in evidence {
            try db.execute(
                sql: """
                    INSERT INTO contact_evidence (kind, value, contact, at) SELECT ?, ?, ?, ?
                    WHERE NOT EXISTS (SELECT 1 FROM contact_evidence WHERE kind = ? AND value = ? AND contact = ?)
                    """,
                arguments: [fact.kind.rawValue, fact.value, contact, at.timeIntervalSince1970, fact.kind.rawValue, fact.value, contact])
        }
    }

    package func identities(contact: String) async throws -> [ContactIdentity] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM identities WHERE contact = ? ORDER BY last_seen_at DESC, channel, external_id", arguments: [contact]
            ).map {
                ContactIdentity(
                    identity: ChannelIdentity(channel: $0["channel"], id: $0["external_id"]),
                    lastSeenAt: Date(timeIntervalSince1970: $0["last_seen_at"]), account: $0["account"])
            }
        }
    }

    package func contactsSharingEvidence(with contact: String) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(
                db, sql: StateRows.sharingEvidenceSQL(placeholder: { _ in "?" }),
                arguments: StatementArguments(Array(repeating: contact, count: StateRows.sharingEvidenceBinds)))
        }
    }

    /// The contact's active merge: the target and the row's id.
    static func activeMerge(_ db: Database, of contact: String) throws -> (id: Int64, target: String, at: Double, record: String)? {
        try Row.fetchOne(
            db, sql: "SELECT id, target, at, record FROM merges WHERE merged = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1",
            arguments: [contact]
        ).map { row -> (id: Int64, target: String, at: Double, record: String) in (row["id"], row["target"], row["at"], row["record"]) }
    }

    /// A contact's conversation, or why it cannot take part in a merge.
    static func mergeable(_ db: Database, _ contact: String) throws -> Conversation {
        if let conversation = try conversation(db, customer: contact) { return conversation }
        if let merge = try activeMerge(db, of: contact) { throw ContactMergeError.mergedAway(contact, into: merge.target) }
        throw ContactMergeError.unknownContact(contact)
    }

    package func merge(contact: String, into target: String, at: Date) async throws -> Conversation {
        guard contact != target else { throw ContactMergeError.sameContact(contact) }
        return try await pool.write { db in
            let merged = try Self.mergeable(db, contact)
            let kept = try Self.mergeable(db, target)
            var record = MergeRecord(merged: StoredConversation(merged), target: StoredConversation(kept))
            record.inbound = try String.fetchAll(db, sql: "SELECT id FROM inbound WHERE customer = ?", arguments: [contact])
            record.outbox = try Int64.fetchAll(db, sql: "SELECT id FROM outbox WHERE customer = ?", arguments: [contact])
            record.notes = try Int64.fetchAll(db, sql: "SELECT id FROM notes WHERE customer = ?", arguments: [contact])
            record.evidence = try Int64.fetchAll(db, sql: "SELECT id FROM contact_evidence WHERE contact = ?", arguments: [contact])
            record.identities = try Row.fetchAll(db, sql: "SELECT channel, external_id FROM identities WHERE contact = ?", arguments: [contact])
                .map { row -> [String] in [row["channel"], row["external_id"]] }
            let targetTriggers = Set(
                try String.fetchAll(db, sql: "SELECT trigger FROM trigger_customers WHERE customer = ?", arguments: [target]))
            for trigger in try String.fetchAll(db, sql: "SELECT trigger FROM trigger_customers WHERE customer = ?", arguments: [contact]) {
                if targetTriggers.contains(trigger) { record.triggersShared.append(trigger) } else { record.triggersMoved.append(trigger) }
            }
            for (table, column) in [
                ("inbound", "customer"), ("outbox", "customer"), ("notes", "customer"), ("contact_evidence", "contact"), ("identities", "contact"),
            ] {
                try db.execute(sql: "UPDATE \(table) SET \(column) = ? WHERE \(column) = ?", arguments: [target, contact])
            }
            try db.execute(
                sql: "DELETE FROM trigger_customers WHERE customer = ? AND trigger IN (SELECT trigger FROM trigger_customers WHERE customer = ?)",
                arguments: [contact, target])
            try db.execute(sql: "UPDATE trigger_customers SET customer = ? WHERE customer = ?", arguments: [target, contact])
            let combined = ContactMerge.combine(target: kept, merged: merged)
            try Self.store(combined, db, at: at)
            try db.execute(sql: "DELETE FROM conversations WHERE customer = ?", arguments: [contact])
            try db.execute(
                sql: "INSERT INTO merges (merged, target, at, record) VALUES (?, ?, ?, ?)",
                arguments: [contact, target, at.timeIntervalSince1970, record.json])
            return combined
        }
    }

    package func unmerge(contact: String, at: Date) async throws -> (contact: Conversation, target: Conversation) {
        try await pool.write { db in
            guard let merge = try Self.activeMerge(db, of: contact) else {
                if try Self.conversation(db, customer: contact) != nil { throw ContactMergeError.notMerged(contact) }
                throw ContactMergeError.unknownContact(contact)
            }
            guard let record = MergeRecord(json: merge.record) else { throw ContactMergeError.notMerged(contact) }
            guard let current = try Self.conversation(db, customer: merge.target) else {
                if let further = try Self.activeMerge(db, of: merge.target) {
                    throw ContactMergeError.targetMergedAway(contact, target: merge.target, into: further.target)
                }
                throw ContactMergeError.unknownContact(merge.target)
            }
            let target = merge.target
            // What arrived since through the merged identities goes back with them.
            var latest: ContactMerge.ArrivedSince?
            var arrived = 0
            for identity in record.mergedIdentities {
                for row in try Row.fetchAll(
                    db,
                    sql: "SELECT id, sent_at, phone_number_id FROM inbound WHERE customer = ? AND channel = ? AND sender = ? AND received_at >= ?",
                    arguments: [target, identity.channel, identity.id, merge.at])
                {
                    try db.execute(sql: "UPDATE inbound SET customer = ? WHERE id = ?", arguments: [contact, row["id"] as String])
                    arrived += 1
                    let sent: Double = row["sent_at"]
                    if sent > latest?.sent ?? -.infinity { latest = .init(sent: sent, identity: identity, account: row["phone_number_id"]) }
                }
                try db.execute(
                    sql: "UPDATE outbox SET customer = ? WHERE customer = ? AND channel = ? AND recipient = ? AND created_at >= ?",
                    arguments: [contact, target, identity.channel, identity.id, merge.at])
                try db.execute(
                    sql: "UPDATE identities SET contact = ? WHERE contact = ? AND channel = ? AND external_id = ?",
                    arguments: [contact, target, identity.channel, identity.id])
            }
            // One statement per table (the ids as a JSON array): SQLite's one writer waits less.
            func json<T: Encodable>(_ ids: [T]) -> String { String(decoding: (try? JSONEncoder().encode(ids)) ?? Data("[]".utf8), as: UTF8.self) }
            for (table, column, ids) in [
                ("inbound", "customer", json(record.inbound)), ("outbox", "customer", json(record.outbox)), ("notes", "customer", json(record.notes)),
                ("contact_evidence", "contact", json(record.evidence)),
            ] {
                try db.execute(
                    sql: "UPDATE \(table) SET \(column) = ? WHERE \(column) = ? AND id IN (SELECT value FROM json_each(?))",
                    arguments: [contact, target, ids])
            }
            for trigger in record.triggersMoved {
                try db.execute(
                    sql: "UPDATE trigger_customers SET customer = ? WHERE customer = ? AND trigger = ?", arguments: [contact, target, trigger])
            }
            for trigger in record.triggersShared {
                try db.execute(
                    sql: "INSERT INTO trigger_customers (trigger, customer) VALUES (?, ?) ON CONFLICT DO NOTHING", arguments: [trigger, contact])
            }
            let remainingSince = try Double.fetchOne(
                db, sql: "SELECT MAX(sent_at) FROM inbound WHERE customer = ? AND received_at >= ?", arguments: [target, merge.at])
            let (restored, separated) = ContactMerge.split(
                target: current, before: record.target.conversation, merged: record.merged.conversation, arrived: arrived,
                latest: latest, remainingSince: remainingSince)
            try Self.store(separated, db, at: at)
            try Self.store(restored, db, at: at)
            try db.execute(sql: "UPDATE merges SET undone_at = ? WHERE id = ?", arguments: [at.timeIntervalSince1970, merge.id])
            return (restored, separated)
        }
    }

    /// Writes a whole conversation row, first seen included (a plan never changes that).
    static func store(_ conversation: Conversation, _ db: Database, at: Date) throws {
        try apply(
            ConversationPlan(conversation: conversation, replies: [], triggers: []), db, customer: conversation.customer,
            recipient: conversation.identity, phoneNumberID: conversation.phoneNumberID ?? "", inboundID: nil, at: at)
        try db.execute(
            sql: "UPDATE conversations SET first_inbound_at = ? WHERE customer = ?",
            arguments: [conversation.firstInboundAt.timeIntervalSince1970, conversation.customer])
    }
}
