import Foundation
import Glibc
import IntentChannels
import IntentCore
import IntentTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `GET /v1/events` as served: a webhook's message reaches a connected console as an event (its
/// ids, never its words), a console resumes with `Last-Event-ID`, a stream ends when `serve`
/// stops (a graceful shutdown does not wait for consoles), and with replicas on one PostgreSQL
/// a console on one replica sees what another received, and the replies of a person on it.
@Suite(.serialized) struct EventStreamServeTests {
    static let authorization = ["Authorization": "Bearer \(WhatsAppServeTests.consoleToken)"]

    static func console(_ port: Int, after lastEventID: String? = nil) async throws -> EventStreamClient {
        var headers = authorization
        headers["Last-Event-ID"] = lastEventID
        let client = try EventStreamClient(port: port, headers: headers)
        #expect(try await client.waitForStatus() == 200)
        // The stream's opening: the subscription is in place.
        try await eventually("the stream opens") { client.opened }
        return client
    }

    @Test func aWebhooksMessageReachesAConnectedConsoleWhichResumesByItsLastEventID() async throws {
        let setup = try await WhatsAppServeTests.setUp()
        let console = try await ServedInProcess.run(
            ["--corpus", MatchCommandTests.root.path + "/corpus", "--embedder", "lexical"], environment: setup.environment()
        ) { port, log in
            try await log.waitFor("corpus loaded")
            let anonymous = try EventStreamClient(port: port)
            defer { anonymous.close() }
            #expect(try await anonymous.waitForStatus() == 401)

            let console = try await Self.console(port)
            #expect(console.headers["content-type"]?.hasPrefix("text/event-stream") == true)
            #expect(console.headers["cache-control"] == "no-cache")
            #expect(console.headers["x-accel-buffering"] == "no")

            let customer = "8613912340001"
            let body = WhatsAppServeTests.body(id: "wamid.EV1", from: customer, text: "where is my parcel?")
            #expect(try await WhatsAppServeTests().post(port, body, signature: WhatsAppServeTests.signed(body)) == 200)
            let message = try #require(
                try await console.waitFor("the message's event") { $0.type == "message" && $0.fields["message"] as? String == "in:wamid.EV1" })
            #expect(message.fields["conversation"] as? String == customer)
            #expect(!message.data.contains("parcel"))
            // The answer queued, then sent (the read receipt is not a message of the timeline).
            let sent = try #require(
                try await console.waitFor("the answer's status") { $0.type == "status" && $0.fields["status"] as? String == "sent" })
            #expect(sent.fields["conversation"] as? String == customer)
            #expect((sent.fields["message"] as? String)?.hasPrefix("out:") == true)
            #expect(
                console.events.contains { $0.type == "message" && $0.fields["message"] == nil && $0.fields["conversation"] as? String == customer })

            // A console reconnecting with the last id it saw gets what it missed, in order.
            let missed = console.events.drop { $0.id != message.id }.dropFirst().map(\.id)
            let resumed = try await Self.console(port, after: message.id)
            defer { resumed.close() }
            try await eventually("the missed events replayed") { resumed.events.count >= missed.count }
            #expect(resumed.events.prefix(missed.count).map(\.id) == Array(missed))
            // An id this process did not give (another replica's, an earlier start's): refetch.
            let stranger = try await Self.console(port, after: "0other-7")
            defer { stranger.close() }
            #expect(try await stranger.waitFor("a reset") { _ in true }?.type == "reset")

            // HEAD answers the head without subscribing.
            let head = try EventStreamClient(port: port, method: "HEAD", headers: Self.authorization)
            defer { head.close() }
            #expect(try await head.waitForStatus() == 200)
            return console
        }
        // The server stopped gracefully with the console still connected: its stream ended.
        try await eventually("the console's stream ends") { console.ended }
    }

    @Test func aStreamEndsWhenServeStopsAndTheProcessExits() async throws {
        let setup = try await WhatsAppServeTests.setUp()
        let server = try ServeCommandTests.ServerProcess(
            arguments: ["--corpus", "corpus", "--embedder", "lexical"], environment: setup.environment())
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        let port = try await server.port()
        #expect(try await server.waitFor("corpus loaded"))
        let consoles = [try await Self.console(port), try await Self.console(port)]
        server.process.terminate()
        try await eventually("serve exits with consoles connected", limit: .seconds(30)) { !server.process.isRunning }
        // Still running: the failure is recorded above; end it so that the test ends too.
        if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) }
        #expect(try await server.exitStatus() == 0)
        #expect(server.log.contains("stopped"))
        for console in consoles { #expect(console.ended) }
    }

    /// Two replicas on one PostgreSQL state store: Meta's webhook reaches B, a console on A sees
    /// the message within seconds; a person on each replica sees the other's reply.
    @Test(.enabled(if: PostgresTestDatabase.enabled, PostgresTestDatabase.skipReason))
    func consolesOnTwoReplicasSeeEachOthersMessagesAndReplies() async throws {
        let setup = try await WhatsAppServeTests.setUp()
        var environment = setup.environment()
        environment["INTENT_STATE"] = try await PostgresTestDatabase.fresh()
        let a = try ServeCommandTests.ServerProcess(arguments: ["--corpus", "corpus", "--embedder", "lexical"], environment: environment)
        defer { a.stop() }
        let b = try ServeCommandTests.ServerProcess(arguments: ["--corpus", "corpus", "--embedder", "lexical"], environment: environment)
        defer { b.stop() }
        let (portA, portB) = (try await a.port(), try await b.port())
        #expect(try await a.waitFor("corpus loaded"))
        #expect(try await b.waitFor("corpus loaded"))
        let serve = WhatsAppServeTests()
        for port in [portA, portB] {
            try await eventually("the events relay listening on \(port)") {
                try await serve.get(port, "/metrics").1.contains("intent_events_relay_up 1.0")
            }
        }
        let onA = try await Self.console(portA)
        defer { onA.close() }
        let onB = try await Self.console(portB)
        defer { onB.close() }

        let customer = "8613912340002"
        let body = WhatsAppServeTests.body(id: "wamid.R1", from: customer, text: "where is my parcel?")
        let posted = Date()
        #expect(try await serve.post(portB, body, signature: WhatsAppServeTests.signed(body)) == 200)
        let relayed = try await onA.waitFor("B's message on A") { $0.fields["message"] as? String == "in:wamid.R1" }
        print(
            "EventStreamServeTests: a message received by replica B reached a console on A \(Int(Date().timeIntervalSince(posted) * 1_000)) ms after the webhook"
        )
        #expect(relayed?.type == "message" && relayed?.fields["conversation"] as? String == customer)
        // Decided by either replica: the conversation exists once its replies are queued.
        _ = try await onA.waitFor("the message decided") { $0.type == "message" && $0.fields["message"] == nil }

        // Two people, one on each replica, answer: each sees the other's reply.
        let client = ServeCommandTests()
        let (queuedOnB, replyOnB) = try await client.request(
            portB, "/v1/conversations/\(customer)/messages", method: "POST", body: ["text": "Bo here.", "by": "Bo"],
            token: WhatsAppServeTests.consoleToken)
        #expect(queuedOnB == 202)
        let bosReply = try await onA.waitFor("Bo's reply on A") { $0.fields["message"] as? String == replyOnB["id"] as? String }
        #expect(bosReply?.fields["agent"] as? String == "Bo")
        let (queuedOnA, replyOnA) = try await client.request(
            portA, "/v1/conversations/\(customer)/messages", method: "POST", body: ["text": "Ann here.", "by": "Ann"],
            token: WhatsAppServeTests.consoleToken)
        #expect(queuedOnA == 202)
        let annsReply = try await onB.waitFor("Ann's reply on B") {
            $0.fields["message"] as? String == replyOnA["id"] as? String
        }
        #expect(annsReply?.fields["agent"] as? String == "Ann")
        // Each event once on each replica: a replica skips its own notifications.
        try await eventually("both replies sent, seen on both replicas") {
            [onA, onB].allSatisfy { console in
                [replyOnA, replyOnB].allSatisfy { reply in
                    console.events.contains { $0.fields["message"] as? String == reply["id"] as? String && $0.fields["status"] as? String == "sent" }
                }
            }
        }
        for console in [onA, onB] {
            #expect(console.events.filter { $0.fields["message"] as? String == "in:wamid.R1" }.count == 1)
            #expect(console.events.filter { $0.type == "message" && $0.fields["message"] as? String == replyOnA["id"] as? String }.count == 1)
        }
    }
}
