import Foundation
import GRDB
import IntentChannels
import IntentTestSupport
import Testing

@testable import IntentSQLite

/// A state file from before contacts: every identity its messages and conversations name
/// becomes its contact's, so that the next message of a known customer joins their conversation.
@Suite struct SQLiteContactsMigrationTests {
    @Test func identitiesAreSeededFromStoredMessagesAndConversations() async throws {
        let folder = try TemporaryDirectory("contacts-migration")
        let path = folder.file("state.sqlite")
        do {
            let pool = try DatabasePool(path: path)
            try SQLiteStateStore.migrator.migrate(pool, upTo: "v12-channels")
            try await pool.write { db in
                // A WhatsApp message from before other channels (no channel, no sender), a Telegram
                // one, and a conversation whose messages retention deleted.
                try db.execute(
                    sql: """
                        INSERT INTO inbound (id, customer, phone_number_id, type, text, sent_at, received_at, processed_at)
                            VALUES ('wamid.old', '15551230000', '106', 'text', 'hi', 100, 100, 100);
                        INSERT INTO inbound (id, customer, channel, sender, phone_number_id, type, text, sent_at, received_at, processed_at)
                            VALUES ('telegram:1', 'telegram:4242', 'telegram', '4242', 'bot', 'text', 'hi', 200, 200, 200);
                        INSERT INTO conversations (customer, first_inbound_at, last_inbound_at, channel, recipient, phone_number_id)
                            VALUES ('messenger:77', 50, 60, 'messenger', '77', 'page');
                        """)
            }
        }
        let store = try SQLiteStateStore(path: path)
        #expect(
            try await store.identities(contact: "15551230000")
                == [
                    ContactIdentity(
                        identity: ChannelIdentity(channel: "whatsapp", id: "15551230000"), lastSeenAt: Date(timeIntervalSince1970: 100),
                        account: "106")
                ])
        #expect(try await store.identities(contact: "telegram:4242").map(\.identity) == [ChannelIdentity(channel: "telegram", id: "4242")])
        #expect(try await store.identities(contact: "messenger:77").first?.account == "page")
        let next = InboundMessage(
            id: "wamid.new", from: ChannelIdentity(channel: "whatsapp", id: "15551230000"), account: "106", type: "text", text: "again",
            sentAt: Date(timeIntervalSince1970: 300))
        #expect(try await store.receive([next], statuses: [], at: Date(timeIntervalSince1970: 300)).first?.customer == "15551230000")
    }

    /// Phone evidence stored before numbers were kept in E.164 form: the `00` prefix dropped, a
    /// national number (which country's is a guess) no longer evidence.
    @Test func phoneEvidenceBecomesE164Digits() async throws {
        let folder = try TemporaryDirectory("evidence-migration")
        let path = folder.file("state.sqlite")
        do {
            let pool = try DatabasePool(path: path)
            try SQLiteStateStore.migrator.migrate(pool, upTo: "v14-message-language")
            try await pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO contact_evidence (kind, value, contact, at) VALUES ('phone', '008613800000000', 'telegram:1', 1);
                        INSERT INTO contact_evidence (kind, value, contact, at) VALUES ('phone', '0612345678', 'telegram:2', 1);
                        INSERT INTO contact_evidence (kind, value, contact, at) VALUES ('phone', '4915112345678', 'telegram:3', 1);
                        INSERT INTO contact_evidence (kind, value, contact, at) VALUES ('email', '00li@example.com', 'telegram:4', 1);
                        """)
            }
        }
        _ = try SQLiteStateStore(path: path)
        let pool = try DatabasePool(path: path)
        let rows = try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT kind, value, contact FROM contact_evidence ORDER BY contact").map {
                "\($0["kind"] as String) \($0["value"] as String) \($0["contact"] as String)"
            }
        }
        #expect(rows == ["phone 8613800000000 telegram:1", "phone 4915112345678 telegram:3", "email 00li@example.com telegram:4"])
    }
}
