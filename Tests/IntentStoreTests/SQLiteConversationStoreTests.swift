import Foundation
import IntentChannels
import IntentStore
import Testing

@Suite struct SQLiteConversationStoreTests {
    static func temporaryPath() -> String {
        NSTemporaryDirectory() + "intent-state-\(UUID().uuidString)/state.sqlite"
    }

    @Test func keepsTheConversationStoreContract() throws {
        try ConversationStoreContract.check { try SQLiteConversationStore(path: Self.temporaryPath()) }
    }

    @Test func stateSurvivesReopening() throws {
        let path = Self.temporaryPath()
        do {
            let store = try SQLiteConversationStore(path: path)
            _ = try store.receive([ConversationStoreContract.message("r1")], statuses: [], at: ConversationStoreContract.t0)
        }
        let reopened = try SQLiteConversationStore(url: "sqlite:" + path)
        #expect(try reopened.receive([ConversationStoreContract.message("r1")], statuses: [], at: ConversationStoreContract.t0).isEmpty)
        #expect(try reopened.unprocessed(limit: 5).map(\.id) == ["r1"])
    }

    @Test func refusesOtherSchemesWithoutEchoingTheURL() {
        #expect(throws: UnsupportedStoreURL.self) { try SQLiteConversationStore(url: "mysql://user:hunter2@db/state") }
    }
}
