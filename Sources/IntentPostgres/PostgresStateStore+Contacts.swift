package import Foundation
package import IntentChannels
import PostgresNIO

/// Contacts across channels, as in `SQLiteStateStore+Contacts`: `identities`, `contact_evidence`
/// and `merges`. A merge holds both contacts' locks (the ones `process` and `advance` take), in
/// a fixed order; `receive` upserts the identity row, so it waits for a merge moving it and then
/// reads the contact the merge left.
extension PostgresStateStore {
    static let contactsMigration: [String] = [
        """
        CREATE TABLE identities (
            channel TEXT NOT NULL, external_id TEXT NOT NULL, contact TEXT NOT NULL, first_seen_at DOUBLE PRECISION NOT NULL,
            last_seen_at DOUBLE PRECISION NOT NULL, account TEXT, PRIMARY KEY (channel, external_id))
        """,
        "CREATE INDEX identities_by_contact ON identities (contact)",
        """
        INSERT INTO identities (channel, external_id, contact, first_seen_at, last_seen_at, account)
        SELECT COALESCE(channel, 'whatsapp'), COALESCE(sender, customer), MIN(customer), MIN(sent_at), MAX(sent_at), MAX(phone_number_id)
        FROM inbound
        GROUP BY COALESCE(channel, 'whatsapp'), COALESCE(sender, customer) ON CONFLICT DO NOTHING
        """,
        """
        INSERT INTO identities (channel, external_id, contact, first_seen_at, last_seen_at, account)
        SELECT COALESCE(channel, 'whatsapp'), COALESCE(recipient, customer), customer, first_inbound_at, last_inbound_at, phone_number_id
        FROM conversations
        ON CONFLICT DO NOTHING
        """,
        """
        CREATE TABLE contact_evidence (
            id BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, value TEXT NOT NULL, contact TEXT NOT NULL, at DOUBLE PRECISION NOT NULL)
        """,
        "CREATE INDEX contact_evidence_by_value ON contact_evidence (kind, value)",
        "CREATE INDEX contact_evidence_by_contact ON contact_evidence (contact)",
        """
        CREATE TABLE merges (
            id BIGSERIAL PRIMARY KEY, merged TEXT NOT NULL, target TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, record TEXT NOT NULL,
            undone_at DOUBLE PRECISION)
        """,
        "CREATE INDEX merges_active ON merges (merged) WHERE undone_at IS NULL",
        "CREATE INDEX outbox_by_customer ON outbox (customer)",
    ]

    /// The contact `message`'s sender is: a known identity's; a new WhatsApp number's first
    /// message, the contact's that gave the number (`joinPhoneGiver`); else a new one keyed by the
    /// identity.
    static func contact(_ db: PostgresConnection, of m: InboundMessage, at: Double) async throws -> String {
        if let giver = try await joinPhoneGiver(db, m, at: at) { return giver }
        let sent = m.sentAt.timeIntervalSince1970
        let rows = try await db.query(
            """
            INSERT INTO identities (channel, external_id, contact, first_seen_at, last_seen_at, account)
            VALUES (\(m.channel), \(m.sender), \(m.identity.key), \(sent), \(sent), \(m.phoneNumberID))
            ON CONFLICT (channel, external_id) DO UPDATE SET last_seen_at = GREATEST(identities.last_seen_at, excluded.last_seen_at),
                account = CASE WHEN excluded.last_seen_at >= identities.last_seen_at THEN excluded.account ELSE identities.account END
            RETURNING contact
            """, logger: PostgresServer.quiet)
        for try await contact in rows.decode(String.self) { return contact }
        return m.identity.key
    }

    /// As `SQLiteStateStore.joinPhoneGiver`: a WhatsApp number writing for the first time joins
    /// the contact that gave the number, recorded as a merge. The giver is locked (as a merge
    /// locks it) and looked up again under the lock, since a merge may have moved the evidence
    /// meanwhile; an identity another replica recorded first is left to the ordinary path.
    static func joinPhoneGiver(_ db: PostgresConnection, _ m: InboundMessage, at: Double) async throws -> String? {
        guard m.channel == ChannelIdentity.whatsapp else { return nil }
        let known = try await db.query(
            "SELECT 1 FROM identities WHERE channel = \(m.channel) AND external_id = \(m.sender)", logger: PostgresServer.quiet)
        guard try await count(known) == 0 else { return nil }
        var binds = PostgresBindings()
        binds.append(m.sender)
        let lookup = PostgresQuery(unsafeSQL: StateRows.phoneGiverSQL(placeholder: { "$\($0)" }), binds: binds)
        var locked: Set<String> = []
        for _ in 0..<3 {
            guard let giverID = try await column(String.self, lookup, db).first else { return nil }
            if !locked.contains(giverID) {
                try await lock([giverID], db)
                locked.insert(giverID)
                continue  // read again under the lock
            }
            guard let giver = try await conversation(db, customer: giverID) else { return nil }
            let sent = m.sentAt.timeIntervalSince1970
            let inserted = try await db.query(
                """
                INSERT INTO identities (channel, external_id, contact, first_seen_at, last_seen_at, account)
                VALUES (\(m.channel), \(m.sender), \(giverID), \(sent), \(sent), \(m.phoneNumberID)) ON CONFLICT DO NOTHING RETURNING contact
                """, logger: PostgresServer.quiet)
            guard try await count(inserted) > 0 else { return nil }
            let counted = try await db.query(
                "SELECT 1 FROM trigger_customers WHERE trigger = \(StateRows.Counter.customers(on: m.channel)) AND customer = \(giverID)",
                logger: PostgresServer.quiet)
            let record = ContactMerge.joining(m, giver: giver, giverCounted: try await count(counted) > 0)
            try await db.query(
                "INSERT INTO merges (merged, target, at, record) VALUES (\(m.identity.key), \(giverID), \(at), \(record.json))",
                logger: PostgresServer.quiet)
            return giverID
        }
        return nil
    }

    static func storedCustomer(_ db: PostgresConnection, of message: String) async throws -> String? {
        let rows = try await db.query("SELECT customer FROM inbound WHERE id = \(message)", logger: PostgresServer.quiet)
        for try await customer in rows.decode(String.self) { return customer }
        return nil
    }

    static func recordEvidence(_ evidence: [ContactEvidence], _ db: PostgresConnection, contact: String, at: Double) async throws {
        for fact in evidence {
            try await db.query(
                """
                INSERT INTO contact_evidence (kind, value, contact, at) SELECT \(fact.kind.rawValue), \(fact.value), \(contact), \(at)
                WHERE NOT EXISTS (SELECT 1 FROM contact_evidence WHERE kind = \(fact.kind.rawValue) AND value = \(fact.value) AND contact = \(contact))
                """, logger: PostgresServer.quiet)
        }
    }

    package func identities(contact: String) async throws -> [ContactIdentity] {
        try await server.run { client in
            let rows = try await client.query(
                """
                SELECT channel, external_id, last_seen_at, account FROM identities WHERE contact = \(contact)
                ORDER BY last_seen_at DESC, channel, external_id
                """, logger: PostgresServer.quiet)
            var found: [ContactIdentity] = []
            for try await (channel, id, seen, account) in rows.decode((String, String, Double, String?).self) {
                found.append(
                    ContactIdentity(
                        identity: ChannelIdentity(channel: channel, id: id), lastSeenAt: Date(timeIntervalSince1970: seen), account: account))
            }
            return found
        }
    }

    package func contactsSharingEvidence(with contact: String) async throws -> [String] {
        var binds = PostgresBindings()
        for _ in 0..<StateRows.sharingEvidenceBinds { binds.append(contact) }
        let query = PostgresQuery(unsafeSQL: StateRows.sharingEvidenceSQL(placeholder: { "$\($0)" }), binds: binds)
        return try await server.run { client in
            var found: [String] = []
            for try await contact in try await client.query(query, logger: PostgresServer.quiet).decode(String.self) { found.append(contact) }
            return found
        }
    }

    struct ActiveMerge {
        var id: Int64
        var target: String
        var at: Double
        var record: String
    }

    static func activeMerge(_ db: PostgresConnection, of contact: String) async throws -> ActiveMerge? {
        let rows = try await db.query(
            "SELECT id, target, at, record FROM merges WHERE merged = \(contact) AND undone_at IS NULL ORDER BY id DESC LIMIT 1",
            logger: PostgresServer.quiet)
        for try await (id, target, at, record) in rows.decode((Int64, String, Double, String).self) {
            return ActiveMerge(id: id, target: target, at: at, record: record)
        }
        return nil
    }

    static func mergeable(_ db: PostgresConnection, _ contact: String) async throws -> Conversation {
        if let conversation = try await conversation(db, customer: contact) { return conversation }
        if let merge = try await activeMerge(db, of: contact) { throw ContactMergeError.mergedAway(contact, into: merge.target) }
        throw ContactMergeError.unknownContact(contact)
    }

    /// Both contacts' locks, in one order whoever asks (two merges of the same pair cannot deadlock).
    static func lock(_ contacts: [String], _ db: PostgresConnection) async throws {
        for contact in contacts.sorted() {
            try await db.query("SELECT pg_advisory_xact_lock(hashtext(\(contact)))", logger: PostgresServer.quiet)
        }
    }

    static func column<T: PostgresDecodable & Sendable>(_ type: T.Type, _ query: PostgresQuery, _ db: PostgresConnection) async throws -> [T] {
        var values: [T] = []
        for try await value in try await db.query(query, logger: PostgresServer.quiet).decode(T.self) { values.append(value) }
        return values
    }

    package func merge(contact: String, into target: String, at: Date) async throws -> Conversation {
        guard contact != target else { throw ContactMergeError.sameContact(contact) }
        let now = at.timeIntervalSince1970
        return try await Self.refusing { [server] in
            try await server.transaction { db in
                try await Self.lock([contact, target], db)
                let merged = try await Self.mergeable(db, contact)
                let kept = try await Self.mergeable(db, target)
                var record = MergeRecord(merged: StoredConversation(merged), target: StoredConversation(kept))
                // Identities first: a `receive` that read one before commits before this goes on.
                for try await (channel, id) in try await db.query(
                    "UPDATE identities SET contact = \(target) WHERE contact = \(contact) RETURNING channel, external_id",
                    logger: PostgresServer.quiet
                ).decode((String, String).self) {
                    record.identities.append([channel, id])
                }
                record.inbound = try await Self.column(
                    String.self, "UPDATE inbound SET customer = \(target) WHERE customer = \(contact) RETURNING id", db)
                record.outbox = try await Self.column(
                    Int64.self, "UPDATE outbox SET customer = \(target) WHERE customer = \(contact) RETURNING id", db)
                record.notes = try await Self.column(Int64.self, "UPDATE notes SET customer = \(target) WHERE customer = \(contact) RETURNING id", db)
                record.evidence = try await Self.column(
                    Int64.self, "UPDATE contact_evidence SET contact = \(target) WHERE contact = \(contact) RETURNING id", db)
                record.triggersShared = try await Self.column(
                    String.self,
                    """
                    DELETE FROM trigger_customers WHERE customer = \(contact)
                    AND trigger IN (SELECT trigger FROM trigger_customers WHERE customer = \(target)) RETURNING trigger
                    """, db)
                record.triggersMoved = try await Self.column(
                    String.self, "UPDATE trigger_customers SET customer = \(target) WHERE customer = \(contact) RETURNING trigger", db)
                let combined = ContactMerge.combine(target: kept, merged: merged)
                try await Self.store(combined, db, now: now)
                try await db.query("DELETE FROM conversations WHERE customer = \(contact)", logger: PostgresServer.quiet)
                try await db.query(
                    "INSERT INTO merges (merged, target, at, record) VALUES (\(contact), \(target), \(now), \(record.json))",
                    logger: PostgresServer.quiet)
                return combined
            }
        }
    }

    package func unmerge(contact: String, at: Date) async throws -> (contact: Conversation, target: Conversation) {
        let now = at.timeIntervalSince1970
        return try await Self.refusing { [server] in
            try await server.transaction { db in
                guard let first = try await Self.activeMerge(db, of: contact) else {
                    if try await Self.conversation(db, customer: contact) != nil { throw ContactMergeError.notMerged(contact) }
                    throw ContactMergeError.unknownContact(contact)
                }
                try await Self.lock([contact, first.target], db)
                // Read again under the locks: another unmerge may have been first.
                guard let merge = try await Self.activeMerge(db, of: contact), merge.id == first.id, let record = MergeRecord(json: merge.record)
                else { throw ContactMergeError.notMerged(contact) }
                let target = merge.target
                guard let current = try await Self.conversation(db, customer: target) else {
                    if let further = try await Self.activeMerge(db, of: target) {
                        throw ContactMergeError.targetMergedAway(contact, target: target, into: further.target)
                    }
                    throw ContactMergeError.unknownContact(target)
                }
                var latest: ContactMerge.ArrivedSince?
                var arrived = 0
                for identity in record.mergedIdentities {
                    let rows = try await db.query(
                        """
                        UPDATE inbound SET customer = \(contact) WHERE customer = \(target) AND channel = \(identity.channel)
                        AND sender = \(identity.id) AND received_at >= \(merge.at) RETURNING sent_at, phone_number_id
                        """, logger: PostgresServer.quiet)
                    for try await (sent, account) in rows.decode((Double, String).self) {
                        arrived += 1
                        if sent > latest?.sent ?? -.infinity { latest = .init(sent: sent, identity: identity, account: account) }
                    }
                    try await db.query(
                        """
                        UPDATE outbox SET customer = \(contact) WHERE customer = \(target) AND channel = \(identity.channel)
                        AND recipient = \(identity.id) AND created_at >= \(merge.at)
                        """, logger: PostgresServer.quiet)
                    try await db.query(
                        """
                        UPDATE identities SET contact = \(contact) WHERE contact = \(target) AND channel = \(identity.channel)
                        AND external_id = \(identity.id)
                        """, logger: PostgresServer.quiet)
                }
                try await db.query(
                    "UPDATE inbound SET customer = \(contact) WHERE customer = \(target) AND id = ANY(\(record.inbound))",
                    logger: PostgresServer.quiet)
                try await db.query(
                    "UPDATE outbox SET customer = \(contact) WHERE customer = \(target) AND id = ANY(\(record.outbox))", logger: PostgresServer.quiet)
                try await db.query(
                    "UPDATE notes SET customer = \(contact) WHERE customer = \(target) AND id = ANY(\(record.notes))", logger: PostgresServer.quiet)
                try await db.query(
                    "UPDATE contact_evidence SET contact = \(contact) WHERE contact = \(target) AND id = ANY(\(record.evidence))",
                    logger: PostgresServer.quiet)
                try await db.query(
                    "UPDATE trigger_customers SET customer = \(contact) WHERE customer = \(target) AND trigger = ANY(\(record.triggersMoved))",
                    logger: PostgresServer.quiet)
                try await db.query(
                    """
                    INSERT INTO trigger_customers (trigger, customer) SELECT t, \(contact) FROM unnest(\(record.triggersShared)::TEXT[]) AS t
                    ON CONFLICT DO NOTHING
                    """, logger: PostgresServer.quiet)
                var remainingSince: Double?
                for try await sent in try await db.query(
                    "SELECT MAX(sent_at) FROM inbound WHERE customer = \(target) AND received_at >= \(merge.at)", logger: PostgresServer.quiet
                ).decode(Double?.self) {
                    remainingSince = sent
                }
                let (restored, separated) = ContactMerge.split(
                    target: current, before: record.target.conversation, merged: record.merged.conversation, arrived: arrived,
                    latest: latest, remainingSince: remainingSince)
                try await Self.store(separated, db, now: now)
                try await Self.store(restored, db, now: now)
                try await db.query("UPDATE merges SET undone_at = \(now) WHERE id = \(merge.id)", logger: PostgresServer.quiet)
                return (restored, separated)
            }
        }
    }

    /// A refusal thrown inside a transaction, as thrown (postgres-nio wraps what a transaction's
    /// closure throws).
    static func refusing<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let failed as PostgresTransactionError {
            if let refused = failed.closureError as? ContactMergeError { throw refused }
            throw failed
        }
    }

    /// Writes a whole conversation row, first seen included (a plan never changes that).
    static func store(_ conversation: Conversation, _ db: PostgresConnection, now: Double) async throws {
        try await write(
            ConversationPlan(conversation: conversation, replies: [], triggers: []), customer: conversation.customer,
            recipient: conversation.identity, phoneNumberID: conversation.phoneNumberID ?? "", inboundID: nil, now: now, db)
        try await db.query(
            "UPDATE conversations SET first_inbound_at = \(conversation.firstInboundAt.timeIntervalSince1970) WHERE customer = \(conversation.customer)",
            logger: PostgresServer.quiet)
    }
}
