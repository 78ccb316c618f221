import Foundation
import IntentChannels
import IntentPostgres
import IntentTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
import IntentCore
#endif

/// Two `serve` processes on one PostgreSQL state store (`INTENT_STATE=postgres://...`), behind
/// no load balancer: each channel's webhooks reach either, repeatedly and in parallel; every
/// customer still gets one greeting and one answer per message, and a console edit made on one
/// replica is in the other's edit history.
@Suite(.serialized, .enabled(if: PostgresTestDatabase.enabled, PostgresTestDatabase.skipReason))
struct ReplicaServeTests {
    /// Three customers, two messages each, on every channel. A platform's webhook is delivered
    /// to both replicas at once, twice; a web chat visitor's messages reach either replica.
    @Test(arguments: ServedChannel.Kind.allCases)
    func twoReplicasAnswerEachMessageOnce(_ kind: ServedChannel.Kind) async throws {
        let channel = try await ServedChannel.start(kind)
        let database = try await PostgresTestDatabase.fresh()
        let environment = channel.environment(state: database)
        try await Self.withTwoReplicas(environment: environment) { _, ports in
            let questions = Array(ServedChannel.questions.prefix(2))
            let expected = try await ServedChannel.expectedTexts(ports[0], for: questions)

            let customers = 0..<3
            for customer in customers {
                for (number, text) in questions.enumerated() {
                    let message = ServedChannel.Message(customer: customer, number: number, text: text)
                    guard channel.redelivers else {
                        #expect(try await channel.deliver(message, to: ports[(customer + number) % 2]) == 202)
                        continue
                    }
                    try await withThrowingTaskGroup(of: Int.self) { group in
                        for port in ports + ports { group.addTask { try await channel.deliver(message, to: port) } }
                        for try await status in group { #expect(status == 200) }
                    }
                }
            }
            // Every message decided and every reply recorded as sent: what was going to be sent has
            // been, so what the customers were sent is final (a send twice would be there).
            let store = try await PostgresStateStore.open(url: database)
            try await ServedChannel.settle(store)
            for customer in customers {
                let sent = try await channel.texts(to: customer, port: ports[customer % 2])
                #expect(sent.sorted() == expected.sorted(), "customer \(customer): \(sent)")
            }
            let figures = try await store.statistics()
            #expect(figures.received == 6 && figures.duplicates == (channel.redelivers ? 18 : 0), "\(figures)")
            #expect(figures.triggers["automation:greeting"]?.customers == 3)
        }
    }

    /// An edit on replica a is in replica b's history.
    @Test func aConsoleEditOnOneReplicaIsInTheOthersHistory() async throws {
        let database = try await PostgresTestDatabase.fresh()
        let token = "replica-console"
        let environment = ["INTENT_STATE": database, "INTENT_CONSOLE_TOKEN": token]
        try await Self.withTwoReplicas(environment: environment) { _, ports in
            let (created, _) = try await ServeCommandTests().request(
                ports[0], "/v1/entries", method: "POST", body: ["id": "crypto", "questions": ["do you take bitcoin"], "answer": "Not yet."],
                token: token)
            #expect(created == 201)
            let (_, history) = try await ServeCommandTests().request(ports[1], "/v1/edits", token: token)
            #expect((history["edits"] as? [[String: Any]])?.first?["entry"] as? String == "crypto")
        }
    }

    /// `import` into PostgreSQL, two replicas serving it; a new import reaches both within 5 s,
    /// without a restart, and both count into the same statistics.
    @Test func aNewImportReachesEveryReplica() async throws {
        let database = try await PostgresTestDatabase.fresh()
        let dir = NSTemporaryDirectory() + "intent-replicas-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cli = MatchCommandTests()
        let imported = try await cli.run(["import", "corpus", "--store", database, "--embedder", "lexical"])
        #expect(imported.status == 0, "\(imported.stderr)")
        try await Self.withTwoReplicas(arguments: ["--store", database]) { _, ports in
            let serve = ServeCommandTests()
            for port in ports {
                let (_, decision) = try await serve.request(port, "/match", method: "POST", body: ["message": "do you take bitcoin?"])
                #expect(decision["id"] as? String != "crypto")
            }

            // A changed corpus, imported from elsewhere.
            try FileManager.default.copyItem(atPath: "corpus/faq.yaml", toPath: dir + "/faq.yaml")
            try FileManager.default.copyItem(atPath: "corpus/rules.yaml", toPath: dir + "/rules.yaml")
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/faq.yaml"))
            try handle.seekToEnd()
            try handle.write(
                contentsOf: Data("\n  - id: crypto\n    questions: [\"do you take bitcoin\", \"can I pay in crypto\"]\n    answer: Not yet.\n".utf8))
            try handle.close()
            let started = Date()
            #expect(try await cli.run(["import", dir, "--store", database, "--embedder", "lexical"]).status == 0)
            for port in ports {
                try await eventually("replica on \(port) answering from the new import") {
                    try await serve.request(port, "/match", method: "POST", body: ["message": "do you take bitcoin?"]).1["id"] as? String == "crypto"
                }
            }
            // How fast is scripts/bench-replicas' business; here it is only printed.
            print("ReplicaServeTests: the new import answered on both replicas after \(String(format: "%.1f", Date().timeIntervalSince(started))) s")

            // Both replicas write to the same statistics, and each shows the totals of both (once
            // their 2 s batches have been written and read back).
            let store = try await PostgresIndexStore.open(url: database)
            try await eventually("both replicas' decisions in the shared store, and in each replica's /v1/stats") {
                guard let totals = try await store.loadStatistics(recentLimit: 10), totals.hitsByEntry["crypto"] ?? 0 >= 2 else { return false }
                for port in ports where try await serve.request(port, "/v1/stats").1["total"] as? Int != totals.total { return false }
                return true
            }
        }
    }

    /// Flows saved in the console of one replica are served by the other within seconds.
    @Test func savedFlowsReachEveryReplica() async throws {
        let database = try await PostgresTestDatabase.fresh()
        let token = "replica-console"
        let environment = ["INTENT_STATE": database, "INTENT_CONSOLE_TOKEN": token]
        try await Self.withTwoReplicas(environment: environment) { replicas, ports in
            let (portA, portB) = (ports[0], ports[1])
            let serve = ServeCommandTests()
            #expect(try await serve.request(portB, "/v1/flows/document", token: token).1["source"] as? String == "file")
            let started = Date()
            let (saved, _) = try await serve.request(
                portA, "/v1/flows/document", method: "PUT", body: ["text": FlowEditTests.twoSteps, "by": "lena"], token: token)
            #expect(saved == 200)
            try await eventually("replica B serving the flows saved on A") {
                let document = try await serve.request(portB, "/v1/flows/document", token: token).1
                return document["source"] as? String == "edit" && (document["edit"] as? [String: Any])?["by"] as? String == "lena"
            }
            print(
                "ReplicaServeTests: flows saved on one replica served by the other after \(String(format: "%.1f", Date().timeIntervalSince(started))) s"
            )
            #expect(try await replicas[1].waitFor("flows: serving the console's edit #1"))
        }
    }

    /// Runs `body` with two `serve` processes started alike and each serving its corpus
    /// ("corpus loaded"), and their ports; both are stopped when it returns or throws.
    static func withTwoReplicas(
        arguments: [String] = ["--corpus", "corpus", "--embedder", "lexical"], environment: [String: String] = [:],
        _ body: ([ServeCommandTests.ServerProcess], [Int]) async throws -> Void
    ) async throws {
        let a = try ServeCommandTests.ServerProcess(arguments: arguments, environment: environment)
        defer { a.stop() }
        let b = try ServeCommandTests.ServerProcess(arguments: arguments, environment: environment)
        defer { b.stop() }
        let ports = [try await a.port(), try await b.port()]
        #expect(try await a.waitFor("corpus loaded"))
        #expect(try await b.waitFor("corpus loaded"))
        try await ServerLogs.$tail.withValue({ "--- replica A ---\n\(a.log.suffix(6_000))\n--- replica B ---\n\(b.log.suffix(6_000))" }) {
            try await body([a, b], ports)
        }
    }
}
