import Foundation
import IntentChannels
import IntentCore
import IntentSQLite
import IntentTestSupport
import Testing

@Suite struct SQLiteStateStoreTests {
    @Test func keepsTheConversationStoreContract() async throws {
        let folder = try TemporaryDirectory("state")
        defer { withExtendedLifetime(folder) {} }
        try await ConversationStoreContract.check { try SQLiteStateStore(path: folder.file("\(UUID().uuidString).sqlite")) }
    }

    @Test func keepsTheFlowEditStoreContract() async throws {
        let folder = try TemporaryDirectory("flow-edits")
        defer { withExtendedLifetime(folder) {} }
        try await FlowEditStoreContract.check { try SQLiteStateStore(path: folder.file("\(UUID().uuidString).sqlite")) }
    }

    @Test func keepsTheAgentStoreContract() async throws {
        let folder = try TemporaryDirectory("agents")
        defer { withExtendedLifetime(folder) {} }
        try await AgentStoreContract.check { try SQLiteStateStore(path: folder.file("\(UUID().uuidString).sqlite")) }
    }

    @Test func keepsTheQuickReplyStoreContract() async throws {
        let folder = try TemporaryDirectory("quick-replies")
        defer { withExtendedLifetime(folder) {} }
        try await QuickReplyStoreContract.check { try SQLiteStateStore(path: folder.file("\(UUID().uuidString).sqlite")) }
    }

    @Test func queuesTemplatesLikeAnyMessage() async throws {
        let folder = try TemporaryDirectory("templates")
        defer { withExtendedLifetime(folder) {} }
        try await TemplateItemContract.check(try SQLiteStateStore(path: folder.file("state.sqlite")))
    }

    @Test func stateSurvivesReopening() async throws {
        let folder = try TemporaryDirectory("state")
        defer { withExtendedLifetime(folder) {} }
        let path = folder.file("state.sqlite")
        do {
            let store = try SQLiteStateStore(path: path)
            _ = try await store.receive([ConversationStoreContract.message("r1")], statuses: [], at: ConversationStoreContract.t0)
        }
        let reopened = try SQLiteStateStore(path: path)
        #expect(try await reopened.receive([ConversationStoreContract.message("r1")], statuses: [], at: ConversationStoreContract.t0).isEmpty)
        #expect(try await reopened.unprocessed(limit: 5).map(\.id) == ["r1"])
    }
}

@Suite struct SQLiteCorpusEditStoreTests {
    @Test func editsAreNumberedAndSurviveReopening() async throws {
        let path = NSTemporaryDirectory() + "intent-edits-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try SQLiteStateStore(path: path)
        let at = Date(timeIntervalSince1970: 1_790_000_000)
        let first = try await store.append(CorpusEdit(kind: .paraphrases, entry: "refund", questions: ["我想把钱要回来", "money back"], by: "Lena", at: at))
        let second = try await store.append(CorpusEdit(kind: .outOfScope, entry: nil, questions: ["meaning of life"], by: "console token", at: at))
        let third = try await store.append(
            CorpusEdit(kind: .answer, entry: "refund", questions: [], answer: "Reembolso en 5 días.", language: "es", by: "Lena", at: at))
        #expect(first.number == 1 && second.number == 2 && third.number == 3)
        let reopened = try SQLiteStateStore(path: path)
        #expect(try await reopened.edits() == [first, second, third])
        // Translations for review: one per entry and language, replaced, rejected, removed.
        let french = AnswerSuggestion(entry: "refund", language: "fr", source: "Refunds take 5 days.", text: "5 jours.", by: "translator (m)", at: at)
        try await reopened.suggest(french)
        try await reopened.suggest(
            AnswerSuggestion(entry: "refund", language: "de", source: "Refunds take 5 days.", text: "5 Tage.", by: "t", at: at))
        var rejected = french
        rejected.rejected = true
        try await reopened.suggest(rejected)
        try await reopened.removeSuggestion(entry: "refund", language: "de")
        try await reopened.removeSuggestion(entry: "nothing", language: "es")
        #expect(try await SQLiteStateStore(path: path).suggestions() == [rejected])
    }
}
