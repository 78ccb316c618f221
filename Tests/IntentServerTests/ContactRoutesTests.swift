import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IntentChannels
import IntentTestSupport
import Testing

@testable import IntentServer

/// Merging contacts over HTTP: `POST /v1/contacts/{id}/merge` and `/unmerge` answer the
/// resulting conversation with its identities, refuse what cannot be merged with a reason, and
/// are an agent's to do; a reply names the channel it goes out on among the contact's.
extension AgentInboxRoutesTests {
    @Test func anAgentMergesAndUnmergesContacts() async throws {
        let setup = try await Self.setUp()
        let channel = try #require(setup.channel)
        let run = Task { await channel.run() }
        defer { run.cancel() }
        let (ana, bo) = ("15551250020", "15551250021")
        try await setup.receive("wamid.M1", from: ana, text: "hello")
        try await setup.receive("wamid.M2", from: bo, text: "where is my parcel")
        try await setup.settle()
        let viewer = try await setup.store.addAgent(named: "Vic", role: .viewer, at: Date()).token
        try await Application(router: setup.app.router(channel: channel)).test(.router) { client in
            let merged = try await call(client, .post, "/v1/contacts/\(bo)/merge", ["into": ana])
            #expect(merged.0 == .ok, "\(merged.1)")
            #expect(merged.1["id"] as? String == ana)
            let identities = try #require(merged.1["identities"] as? [[String: String]], "\(merged.1)")
            #expect(Set(identities.map { $0["id"] ?? "" }) == [ana, bo] && identities.allSatisfy { $0["channel"] == "whatsapp" })
            let shown = try await call(client, .get, "/v1/conversations/\(ana)")
            #expect((shown.1["identities"] as? [[String: String]])?.count == 2, "\(shown.1)")
            #expect(try await call(client, .get, "/v1/conversations/\(bo)").0 == .notFound)
            let timeline = try await call(client, .get, "/v1/conversations/\(ana)/messages")
            let messages = try #require(timeline.1["messages"] as? [[String: Any]])
            #expect(Set(messages.compactMap { $0["id"] as? String }).isSuperset(of: ["in:wamid.M1", "in:wamid.M2"]))
            #expect(messages.allSatisfy { $0["channel"] as? String == "whatsapp" }, "\(messages)")

            // Refused, saying why.
            let again = try await call(client, .post, "/v1/contacts/\(bo)/merge", ["into": ana])
            #expect(again.0 == .conflict && errorCode(again.1) == "merged_away" && errorMessage(again.1).contains(ana), "\(again.1)")
            let itself = try await call(client, .post, "/v1/contacts/\(ana)/merge", ["into": ana])
            #expect(itself.0 == .unprocessableContent && errorCode(itself.1) == "same_contact")
            let nobody = try await call(client, .post, "/v1/contacts/\(ana)/merge", ["into": "15550000000"])
            #expect(nobody.0 == .notFound && errorCode(nobody.1) == "no_contact")
            let empty = try await call(client, .post, "/v1/contacts/\(ana)/merge", ["into": " "])
            #expect(empty.0 == .badRequest && errorCode(empty.1) == "invalid_into")
            // A reply names a channel among the contact's.
            let elsewhere = try await call(client, .post, "/v1/conversations/\(ana)/messages", ["text": "hi", "channel": "telegram"])
            #expect(elsewhere.0 == .unprocessableContent && errorCode(elsewhere.1) == "no_identity_on_channel", "\(elsewhere.1)")
            let there = try await call(client, .post, "/v1/conversations/\(ana)/messages", ["text": "hi", "channel": "whatsapp"])
            #expect(there.0 == .accepted, "\(there.1)")
            // A viewer reads, never merges.
            var headers: HTTPFields = [.authorization: "Bearer \(viewer)", .contentType: "application/json"]
            headers[.accept] = "application/json"
            let refused = try await client.execute(
                uri: "/v1/contacts/\(bo)/unmerge", method: .post, headers: headers, body: ByteBuffer(string: "{}"))
            #expect(refused.status == .forbidden)

            let unmerged = try await call(client, .post, "/v1/contacts/\(bo)/unmerge")
            #expect(unmerged.0 == .ok && unmerged.1["id"] as? String == bo, "\(unmerged.1)")
            #expect((unmerged.1["identities"] as? [[String: String]])?.map { $0["id"] } == [bo])
            let once = try await call(client, .post, "/v1/contacts/\(bo)/unmerge")
            #expect(once.0 == .conflict && errorCode(once.1) == "not_merged")
            let unknown = try await call(client, .post, "/v1/contacts/15550000000/unmerge")
            #expect(unknown.0 == .notFound && errorCode(unknown.1) == "no_contact")
        }
    }
}
