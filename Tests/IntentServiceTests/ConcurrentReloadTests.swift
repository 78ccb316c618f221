import Foundation
import Glibc
import IntentCore
import IntentTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Reloads from SIGHUP and `/admin/reload` fired at once, again and again, while a client keeps
/// asking: every answer comes from one whole corpus, answers never go back to an older corpus,
/// and the newest files win.
@Suite(.serialized) struct ConcurrentReloadTests {
    static let entries = [
        ("track", "where is my parcel"), ("refund", "I want my money back"), ("hours", "when are you open"),
        ("pay", "can I pay with paypal"), ("size", "which size should I take"),
    ]

    /// Version `v` of the corpus: every answer ends with "v<v>".
    static func write(version: Int, to directory: String) throws {
        let lines = entries.map { id, question in
            #"{"id": "\#(id)", "questions": ["\#(question)"], "answer": "\#(id) answer v\#(version)"}"#
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: directory + "/faq.jsonl", atomically: true, encoding: .utf8)
    }

    static func version(of answer: String) -> Int? {
        answer.split(separator: "v").last.flatMap { Int($0) }
    }

    @Test func overlappingReloadsUnderTrafficServeWholeCorporaAndTheNewestWins() async throws {
        let folder = try TemporaryDirectory("reload")
        defer { withExtendedLifetime(folder) {} }
        let directory = folder.path
        try Self.write(version: 0, to: directory)
        let token = "reload-\(UUID().uuidString.prefix(8))"
        let server = try ServeCommandTests.ServerProcess(
            arguments: ["--corpus", directory, "--embedder", "lexical"], environment: ["INTENT_ADMIN_TOKEN": token])
        defer { server.stop() }
        let port = try await server.port()
        #expect(try await server.waitFor("corpus loaded"))
        let client = ServeCommandTests()

        // One sequential client: (status, version seen) per request.
        let stop = Locked(false)
        let answered = Locked(0)
        let traffic = Task { () -> [(Int, Int?, Bool)] in
            var seen: [(Int, Int?, Bool)] = []
            var i = 0
            while !stop.current {
                let (id, question) = Self.entries[i % Self.entries.count]
                i += 1
                let (status, decision) = try await client.request(port, "/match", method: "POST", body: ["message": question])
                let answer = decision["answer"] as? String ?? ""
                seen.append((status, Self.version(of: answer), decision["id"] as? String == id && answer.hasPrefix("\(id) answer v")))
                answered.withLock { $0 += 1 }
            }
            return seen
        }
        let rounds = 8
        for version in 1...rounds {
            try Self.write(version: version, to: directory)
            // Both triggers at once, not waiting for either.
            kill(server.process.processIdentifier, SIGHUP)
            async let admin = client.request(port, "/admin/reload", method: "POST", token: token)
            kill(server.process.processIdentifier, SIGHUP)
            let (status, _) = try await admin
            #expect(status == 200)
            // Traffic between rounds, however slow the machine: wait for three more answers.
            let target = answered.current + 3
            let until = Date().addingTimeInterval(60)
            while answered.current < target && Date() < until { try await Task.sleep(for: .milliseconds(10)) }
        }
        // The newest files win: once every reload has run, the corpus in service is the last one.
        let deadline = Date().addingTimeInterval(60)
        var final: Int?
        while Date() < deadline {
            let (_, decision) = try await client.request(port, "/match", method: "POST", body: ["message": "where is my parcel"])
            final = Self.version(of: decision["answer"] as? String ?? "")
            if final == rounds { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        // Three more answers from the last corpus, then the traffic stops.
        let target = answered.current + 3
        try await eventually("three more answers") { answered.current >= target }
        stop.withLock { $0 = true }
        let seen = try await traffic.value
        #expect(final == rounds)
        #expect(seen.count >= rounds * 3, "the client kept asking during the reloads")
        #expect(seen.allSatisfy { $0.0 == 200 }, "\(seen.filter { $0.0 != 200 }.count) failed requests")
        #expect(seen.allSatisfy { $0.2 }, "every answer is its entry's, from one corpus")
        let versions = seen.compactMap(\.1)
        #expect(versions == versions.sorted(), "answers never go back to an older corpus")
        #expect(versions.last == rounds)
        let (_, ready) = try await client.request(port, "/readyz")
        let (_, check) = try await client.request(port, "/match", method: "POST", body: ["message": "when are you open"])
        #expect(Self.version(of: check["answer"] as? String ?? "") == rounds)
        #expect(ready["status"] as? String == "ready")
        print("concurrent reloads: \(rounds * 3) reload triggers, \(seen.count) requests during them, \(seen.filter { $0.0 != 200 }.count) errors")
    }
}
