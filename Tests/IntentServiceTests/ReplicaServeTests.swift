import Foundation
import IntentChannels
import IntentPostgres
import IntentTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Two `serve` processes on one PostgreSQL state store (`INTENT_STATE=postgres://...`), behind
/// no load balancer: Meta's webhooks reach either, repeatedly and in parallel; every customer
/// still gets one greeting and one answer per message, and a console edit made on one replica
/// is in the other's edit history.
@Suite(.serialized) struct ReplicaServeTests {
    @Test func twoReplicasAnswerEachMessageOnce() async throws {
        let setup = try await WhatsAppServeTests.setUp()
        defer { setup.graph.process.terminate() }
        guard let database = try PostgresTestDatabase.fresh() else {
            print("ReplicaServeTests: skipped: set INTENT_TEST_POSTGRES (scripts/postgres start)")
            return
        }
        var environment = setup.environment()
        environment["INTENT_STATE"] = database
        let a = try ServeCommandTests.ServerProcess(arguments: ["--corpus", "corpus", "--embedder", "lexical"], environment: environment)
        defer { a.stop() }
        let b = try ServeCommandTests.ServerProcess(arguments: ["--corpus", "corpus", "--embedder", "lexical"], environment: environment)
        defer { b.stop() }
        let ports = [try await a.port(), try await b.port()]
        #expect(try await a.waitFor("corpus loaded"))
        #expect(try await b.waitFor("corpus loaded"))

        // Three customers, two messages each; every webhook delivered to both replicas at once, twice.
        let customers = ["8613800000001", "8613800000002", "8613800000003"]
        for (c, customer) in customers.enumerated() {
            for (m, text) in ["where is my parcel?", "how do I get a refund?"].enumerated() {
                let body = WhatsAppServeTests.body(id: "wamid.r\(c)\(m)", from: customer, text: text)
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for port in ports + ports {
                        group.addTask { try await WhatsAppServeTests().post(port, body, signature: WhatsAppServeTests.signed(body)) }
                    }
                    for try await status in group { #expect(status == 200) }
                }
            }
        }
        let suite = WhatsAppServeTests()
        for customer in customers {
            // The read receipts are not texts: greeting, then one answer per message.
            let texts = try await suite.waitForTexts(setup.graph.port, to: customer, count: 3)
            try await Task.sleep(for: .milliseconds(500))  // anything sent twice would show by now
            let settled = try await suite.texts(setup.graph.port, to: customer)
            #expect(settled == texts)
            #expect(settled.count == 3, "\(customer): \(settled)")
            #expect(settled.first == "Welcome to the test shop!")
        }
        let store = try PostgresStateStore(url: database)
        let figures = try store.statistics()
        #expect(figures.received == 6 && figures.duplicates == 18, "\(figures)")
        #expect(figures.triggers["automation:greeting"]?.customers == 3)

        // An edit on replica a is in replica b's history (and served by b after its next reload).
        let (created, _) = try await ServeCommandTests().request(
            ports[0], "/v1/entries", method: "POST", body: ["id": "crypto", "questions": ["do you take bitcoin"], "answer": "Not yet."],
            token: WhatsAppServeTests.consoleToken)
        #expect(created == 201)
        let (_, history) = try await ServeCommandTests().request(ports[1], "/v1/edits", token: WhatsAppServeTests.consoleToken)
        #expect((history["edits"] as? [[String: Any]])?.first?["entry"] as? String == "crypto")
    }
}
