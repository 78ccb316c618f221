import Foundation
import IntentChannels
import Testing

/// What every `QuickReplyStore` must do, whatever the database: run against SQLite and PostgreSQL.
enum QuickReplyStoreContract {
    static func check(_ makeStore: () async throws -> any QuickReplyStore) async throws {
        let store = try await makeStore()
        #expect(try await store.quickReplies().isEmpty, "none yet")
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let refund = QuickReply(shortcut: "refund", text: "Hi {{contact.name}}, refunds take 5 days.", updatedBy: "Lena", updatedAt: t0)
        #expect(try await store.saveQuickReply(refund), "a new shortcut is created")
        #expect(try await store.quickReplies() == [refund], "kept as written: the contact is filled in when it is sent")
        let replaced = QuickReply(shortcut: "refund", text: "Refunds take 3 days.", updatedBy: "Kim", updatedAt: t0.addingTimeInterval(60))
        #expect(try await store.saveQuickReply(replaced) == false, "the same shortcut is replaced")
        #expect(try await store.saveQuickReply(QuickReply(shortcut: "refund-zh", text: "退款需要三天。", updatedBy: "Lena", updatedAt: t0)))
        #expect(try await store.saveQuickReply(QuickReply(shortcut: "Hours", text: "We open at 9, \"sharp\".", updatedBy: "Lena", updatedAt: t0)))

        #expect(try await store.quickReplies(matching: nil).map(\.shortcut) == ["Hours", "refund", "refund-zh"], "by shortcut")
        #expect(try await store.quickReplies(matching: nil).first { $0.shortcut == "refund" } == replaced, "who and when with it")
        #expect(try await store.quickReplies(matching: "/REF").map(\.shortcut) == ["refund", "refund-zh"], "the shortcut as typed, any case")
        #expect(try await store.quickReplies(matching: "/REFUND-").map(\.shortcut) == ["refund-zh"])
        #expect(try await store.quickReplies(matching: "open AT").map(\.shortcut) == ["Hours"], "or the text")
        #expect(try await store.quickReplies(matching: "三天").map(\.shortcut) == ["refund-zh"])
        #expect(try await store.quickReplies(matching: "nothing like it").isEmpty)
        #expect(try await store.quickReplies(matching: "").count == 3)

        #expect(try await store.deleteQuickReply(shortcut: "refund"))
        #expect(try await store.deleteQuickReply(shortcut: "refund") == false, "already gone")
        #expect(try await store.quickReplies().map(\.shortcut).sorted() == ["Hours", "refund-zh"])
    }
}
