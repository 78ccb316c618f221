import Foundation
import IntentChannels
import Testing

/// What every `FlowEditStore` must do, whatever the database: run against SQLite and PostgreSQL.
enum FlowEditStoreContract {
    static func check(_ makeStore: () async throws -> any FlowEditStore) async throws {
        let store = try await makeStore()
        #expect(try await store.latestFlows() == nil, "nothing saved yet")
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try await store.saveFlows(text: "flows: {}\n", by: "lena", at: t0)
        #expect(first.number >= 1 && first.by == "lena" && first.text == "flows: {}\n")
        #expect(try await store.latestFlows() == first)
        let text = #"{"flows": {"hi": {"trigger": {"keyword": ["你好"]}, "start": "a", "steps": {"a": {"say": "Hi \"you\"", "end": true}}}}}"#
        let second = try await store.saveFlows(text: text, by: "console", at: t0.addingTimeInterval(60))
        #expect(second.number > first.number, "numbered in order")
        let latest = try #require(try await store.latestFlows())
        #expect(latest == second, "the newest is served; text kept byte for byte, with who and when")
        #expect(latest.at == t0.addingTimeInterval(60))
    }
}
