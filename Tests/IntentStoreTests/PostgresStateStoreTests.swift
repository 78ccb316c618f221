import Foundation
import IntentChannels
import IntentCore
import IntentPostgres
import IntentTestSupport
import Testing

@Suite struct PostgresStateStoreTests {
    @Test func keepsTheConversationStoreContract() throws {
        guard try PostgresTestDatabase.fresh() != nil else {
            print("PostgresStateStoreTests: skipped: set INTENT_TEST_POSTGRES (scripts/postgres start)")
            return
        }
        try ConversationStoreContract.check { try PostgresStateStore(url: try PostgresTestDatabase.fresh()!) }
    }

    /// Two replicas (two stores, two pools) on one database: a webhook delivered to both at once is
    /// stored once and decided once; a customer's first messages on both greet once; an item one
    /// replica claimed is the other's only after the lease.
    @Test func twoReplicasShareOneDatabaseExactlyOnce() throws {
        guard let url = try PostgresTestDatabase.fresh() else { return }
        let a = try PostgresStateStore(url: url, leaseSeconds: 30)
        let b = try PostgresStateStore(url: url, leaseSeconds: 30)
        let t0 = ConversationStoreContract.t0
        let fresh = Locked_([Int]())
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let store = i % 2 == 0 ? a : b
            fresh.append((try? store.receive([ConversationStoreContract.message("w1"), ConversationStoreContract.message("w2", at: 1)], statuses: [], at: t0).count) ?? -1)
        }
        #expect(fresh.values.reduce(0, +) == 2, "\(fresh.values)")

        // The two first messages of one customer, decided on two replicas at once: one greeting.
        let greetings = Locked_([Int]())
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let store = i == 0 ? a : b
            let message = ConversationStoreContract.message(i == 0 ? "w1" : "w2", at: Double(i))
            _ = try? store.process(message, at: t0) { existing in
                var conversation = existing ?? Conversation(customer: message.customer, firstInboundAt: message.sentAt, lastInboundAt: message.sentAt)
                conversation.lastInboundAt = message.sentAt
                let greet = existing == nil
                if greet { greetings.append(1) }
                return ConversationPlan(conversation: conversation, replies: greet ? [.text("welcome", quoting: nil)] : [], triggers: [])
            }
        }
        #expect(greetings.values.count == 1)

        let claimed = try a.dueOutbox(now: t0, limit: 10)
        #expect(claimed.map(\.draft.body) == ["welcome"])
        #expect(try b.dueOutbox(now: t0.addingTimeInterval(29), limit: 10).isEmpty, "leased to replica a")
        let takenOver = try b.dueOutbox(now: t0.addingTimeInterval(31), limit: 10)
        #expect(takenOver.map(\.id) == claimed.map(\.id), "a died: b takes the item over after the lease")
        try b.markSent(takenOver[0].id, channelMessageID: "wamid.1", at: t0.addingTimeInterval(32))
        #expect(try a.dueOutbox(now: t0.addingTimeInterval(100), limit: 10).isEmpty)
        #expect(try a.statistics().sent == 1)
    }

    @Test func keepsCorpusEdits() throws {
        guard let url = try PostgresTestDatabase.fresh() else { return }
        let store = try PostgresStateStore(url: url)
        let edit = try store.append(CorpusEdit(kind: .paraphrases, entry: "refund", questions: ["我想把钱要回来"], by: "Lena", at: Date(timeIntervalSince1970: 1_790_000_000)))
        #expect(edit.number == 1)
        #expect(try PostgresStateStore(url: url).edits() == [edit])
    }

    @Test func aBadURLSaysWhatToWrite() {
        #expect(throws: PostgresURLError.self) { try PostgresServer(url: "postgres://127.0.0.1:5432/") }
        // Nothing listens on port 1: a clear error within seconds, naming the URL without its password.
        do {
            _ = try PostgresServer(url: "postgres://u:secret@127.0.0.1:1/db")
            Issue.record("connected to port 1?")
        } catch {
            #expect("\(error)".hasPrefix("postgres://u@127.0.0.1:1/db did not answer within 5 s"))
            #expect(!"\(error)".contains("secret"))
        }
    }
}
