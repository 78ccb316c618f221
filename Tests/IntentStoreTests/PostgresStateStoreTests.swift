import Foundation
import IntentChannels
import IntentCore
import IntentPostgres
import IntentTestSupport
import Testing

@Suite(.enabled(if: PostgresTestDatabase.enabled, PostgresTestDatabase.skipReason))
struct PostgresStateStoreTests {
    @Test func keepsTheConversationStoreContract() async throws {
        try await ConversationStoreContract.check { try await PostgresStateStore.open(url: try await PostgresTestDatabase.fresh()) }
    }

    /// Two replicas (two stores, two pools) on one database: a webhook delivered to both at once is
    /// stored once and decided once; a customer's first messages on both greet once; an item one
    /// replica claimed is the other's only after the lease.
    @Test func aMergeRacingTheMergedIdentitysMessagesStrandsNone() async throws {
        let store = try await PostgresStateStore.open(url: try await PostgresTestDatabase.fresh())
        let t0 = ConversationStoreContract.t0
        let telegram = ConversationStoreContract.telegram
        _ = try await ConversationStoreContract.arrive(store, "wamid.1", from: ConversationStoreContract.whatsapp, at: 0)
        _ = try await ConversationStoreContract.arrive(store, "telegram:0", from: telegram, at: 1)
        await withTaskGroup(of: Void.self) { group in
            for i in 1...40 {
                group.addTask {
                    // A delivery that failed is delivered again, as a platform does after a 503: a
                    // failure seen by the client can still commit later, and would then be an
                    // earlier, unprocessed message that holds back every later one of the contact.
                    let message = ConversationStoreContract.message("telegram:\(i)", from: telegram, at: Double(i))
                    for _ in 0..<5 {
                        if (try? await store.receive([message], statuses: [], at: t0.addingTimeInterval(Double(i)))) != nil { break }
                    }
                }
                if i == 20 {
                    group.addTask { _ = try? await store.merge(contact: "telegram:4242", into: "8613800000000", at: t0.addingTimeInterval(20)) }
                }
            }
        }
        // Every message is the merged contact's, whichever side of the merge it was stored on.
        let waiting = try await store.unprocessed(limit: 100)
        #expect(
            waiting.count == 40 && waiting.allSatisfy { $0.customer == "8613800000000" },
            "\(waiting.count) \(Set(waiting.map(\.customer))) \(waiting.map(\.id))")
        for message in waiting {
            #expect(
                try await store.process(message, at: t0.addingTimeInterval(60), plan: ConversationStoreContract.plan(message, replies: [])),
                "\(message.id)")
        }
        #expect(try await store.conversation(customer: "telegram:4242") == nil)
        #expect(try await store.conversation(customer: "8613800000000")?.unread == 42)
    }

    @Test func twoReplicasShareOneDatabaseExactlyOnce() async throws {
        let url = try await PostgresTestDatabase.fresh()
        let a = try await PostgresStateStore.open(url: url, leaseSeconds: 30)
        let b = try await PostgresStateStore.open(url: url, leaseSeconds: 30)
        let t0 = ConversationStoreContract.t0
        let fresh = await withTaskGroup(of: Int.self) { group in
            for i in 0..<8 {
                let store = i % 2 == 0 ? a : b
                group.addTask {
                    let messages = [ConversationStoreContract.message("w1"), ConversationStoreContract.message("w2", at: 1)]
                    return (try? await store.receive(messages, statuses: [], at: t0).count) ?? -1
                }
            }
            return await group.reduce(0, +)
        }
        #expect(fresh == 2)

        // The two first messages of one customer, decided on two replicas at once: one greeting.
        let greetings = Locked(0)
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<2 {
                let store = i == 0 ? a : b
                let message = ConversationStoreContract.message(i == 0 ? "w1" : "w2", at: Double(i))
                group.addTask {
                    _ = try? await store.process(message, at: t0) { existing in
                        var conversation =
                            existing ?? Conversation(customer: message.customer, firstInboundAt: message.sentAt, lastInboundAt: message.sentAt)
                        conversation.lastInboundAt = message.sentAt
                        let greet = existing == nil
                        if greet { greetings.withLock { $0 += 1 } }
                        return ConversationPlan(conversation: conversation, replies: greet ? [.text("welcome", quoting: nil)] : [], triggers: [])
                    }
                }
            }
        }
        #expect(greetings.current == 1)

        let claimed = try await a.dueOutbox(now: t0, limit: 10)
        #expect(claimed.map(\.draft.body) == ["welcome"])
        #expect(try await b.dueOutbox(now: t0.addingTimeInterval(29), limit: 10).isEmpty, "leased to replica a")
        let takenOver = try await b.dueOutbox(now: t0.addingTimeInterval(31), limit: 10)
        #expect(takenOver.map(\.id) == claimed.map(\.id), "a died: b takes the item over after the lease")
        try await b.markSent(takenOver[0].id, channelMessageID: "wamid.1", at: t0.addingTimeInterval(32))
        #expect(try await a.dueOutbox(now: t0.addingTimeInterval(100), limit: 10).isEmpty)
        #expect(try await a.statistics().sent == 1)
    }

    /// Replicas claiming at the same moment never claim one item twice. A claim's snapshot can
    /// predate another replica's committed lease; the lease must then be checked again on the
    /// locked row itself (PostgreSQL re-checks only the locked table's own conditions), or both
    /// replicas send the item: seen once as a customer answered twice on Instagram.
    @Test func replicasClaimingAtOnceNeverShareAnItem() async throws {
        let url = try await PostgresTestDatabase.fresh()
        let replicas = [
            try await PostgresStateStore.open(url: url, leaseSeconds: 30), try await PostgresStateStore.open(url: url, leaseSeconds: 30),
        ]
        let t0 = ConversationStoreContract.t0
        let customers = 120
        for i in 0..<customers {
            let message = ConversationStoreContract.message("m\(i)", customer: "c\(i)")
            _ = try await replicas[0].receive([message], statuses: [], at: t0)
            #expect(try await replicas[0].process(message, at: t0, plan: ConversationStoreContract.plan(message, replies: ["answer \(i)"])))
        }
        // Eight claimers a replica, one item at a time, until nothing is left (an item claimed is never sent here).
        let claimed = await withTaskGroup(of: [Int64].self) { group in
            for k in 0..<16 {
                let store = replicas[k % 2]
                group.addTask {
                    var mine: [Int64] = []
                    var empty = 0
                    while empty < 3 {
                        guard let items = try? await store.dueOutbox(now: t0.addingTimeInterval(1), limit: 1) else { continue }
                        if items.isEmpty { empty += 1 } else { mine += items.map(\.id) }
                    }
                    return mine
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(claimed.count == customers, "\(claimed.count) claims of \(customers) items")
        #expect(
            Set(claimed).count == claimed.count, "claimed twice: \(Dictionary(grouping: claimed) { $0 }.filter { $0.value.count > 1 }.keys.sorted())")
    }

    @Test func keepsTheFlowEditStoreContract() async throws {
        try await FlowEditStoreContract.check { try await PostgresStateStore.open(url: try await PostgresTestDatabase.fresh()) }
    }

    @Test func keepsTheAgentStoreContract() async throws {
        try await AgentStoreContract.check { try await PostgresStateStore.open(url: try await PostgresTestDatabase.fresh()) }
    }

    @Test func keepsTheQuickReplyStoreContract() async throws {
        try await QuickReplyStoreContract.check { try await PostgresStateStore.open(url: try await PostgresTestDatabase.fresh()) }
    }

    @Test func queuesTemplatesLikeAnyMessage() async throws {
        try await TemplateItemContract.check(try await PostgresStateStore.open(url: try await PostgresTestDatabase.fresh()))
    }

    @Test func keepsCorpusEdits() async throws {
        let url = try await PostgresTestDatabase.fresh()
        let store = try await PostgresStateStore.open(url: url)
        let edit = try await store.append(
            CorpusEdit(kind: .paraphrases, entry: "refund", questions: ["我想把钱要回来"], by: "Lena", at: Date(timeIntervalSince1970: 1_790_000_000)))
        let answer = try await store.append(
            CorpusEdit(
                kind: .answer, entry: "refund", questions: [], answer: "Reembolso en 5 días.", language: "es", by: "Lena",
                at: Date(timeIntervalSince1970: 1_790_000_000)))
        #expect(edit.number == 1 && answer.number == 2)
        #expect(try await PostgresStateStore.open(url: url).edits() == [edit, answer])
        let at = Date(timeIntervalSince1970: 1_790_000_000)
        let french = AnswerSuggestion(entry: "refund", language: "fr", source: "Refunds take 5 days.", text: "5 jours.", by: "translator (m)", at: at)
        try await store.suggest(french)
        try await store.suggest(AnswerSuggestion(entry: "refund", language: "de", source: "Refunds take 5 days.", text: "5 Tage.", by: "t", at: at))
        var rejected = french
        rejected.rejected = true
        try await store.suggest(rejected)
        try await store.removeSuggestion(entry: "refund", language: "de")
        try await store.removeSuggestion(entry: "nothing", language: "es")
        #expect(try await PostgresStateStore.open(url: url).suggestions() == [rejected])
    }
}

@Suite struct PostgresURLTests {
    @Test func aBadURLSaysWhatToWrite() async {
        await #expect(throws: PostgresURLError.self) { try await PostgresServer.connect(url: "postgres://127.0.0.1:5432/") }
        // Nothing listens on port 1: a clear error within seconds, naming the URL without its password.
        do {
            _ = try await PostgresServer.connect(url: "postgres://u:secret@127.0.0.1:1/db")
            Issue.record("connected to port 1?")
        } catch {
            #expect("\(error)".hasPrefix("postgres://u@127.0.0.1:1/db did not answer within 5 s"))
            #expect(!"\(error)".contains("secret"))
        }
    }
}
