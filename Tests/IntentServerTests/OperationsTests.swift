import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IntentCore
import Logging
import NIOFoundationEssentialsCompat
import Testing

@testable import IntentServer

/// Metrics, stats, admin reload and the swap under load.
@Suite struct OperationsTests {
    /// A corpus whose content the test can change between reloads.
    final class CorpusSource: Sendable {
        let answer = Locked("first answer")
        let broken = Locked(false)

        func load() async throws -> MatchService {
            if broken.withLock({ $0 }) {
                throw CorpusValidationError(issues: [
                    CorpusIssue(.error, SourceLocation(file: "faq.jsonl", line: 3), field: "answer", "missing; add a non-empty answer")
                ])
            }
            let corpus = Corpus(entries: [
                FAQEntry(id: "refund", questions: ["how do i get a refund", "我想退款"], answer: answer.withLock { $0 }),
                FAQEntry(id: "track", questions: ["where is my parcel"], answer: "Track it online."),
            ])
            // As `serve` builds it: remembering decisions, so reloads must also replace the memory.
            return MatchService(try await Matcher.build(corpus: corpus, embedder: LexicalEmbedder())).remembering(decisions: 100)
        }
    }

    func app(token: String? = "s3cret-token", source: CorpusSource = CorpusSource()) async throws -> IntentServerApp {
        var settings = IntentServerApp.Settings()
        settings.adminToken = token
        let app = IntentServerApp(settings: settings, logger: Logger(label: "test")) { try await source.load() }
        try await app.reloader.reload()
        return app
    }

    func match(_ client: some TestClientProtocol, _ message: String) async throws -> (HTTPResponse.Status, [String: Any]) {
        let body = try JSONSerialization.data(withJSONObject: ["message": message])
        return try await client.execute(
            uri: "/match", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: body)
        ) { response in
            (response.status, (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:])
        }
    }

    func reload(_ client: some TestClientProtocol, token: String?) async throws -> (HTTPResponse.Status, String) {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: "/admin/reload", method: .post, headers: headers) {
            ($0.status, String(buffer: $0.body))
        }
    }

    @Test func statsCountWhatWasSent() async throws {
        let app = try await app()
        try await Application(router: app.router()).test(.router) { client in
            _ = try await match(client, "我想退款")
            _ = try await match(client, "how do i get a refund")
            _ = try await match(client, "what is the meaning of life")
            try await client.execute(uri: "/v1/stats", method: .get) { response in
                #expect(response.status == .unauthorized, "customer messages are behind the token")
            }
            try await client.execute(uri: "/v1/stats", method: .get, headers: [.authorization: "Bearer s3cret-token"]) { response in
                #expect(response.status == .ok)
                let stats = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                #expect(stats["total"] as? Int == 3)
                #expect((stats["hits_by_faq"] as? [String: Int])?["refund"] == 2)
                #expect((stats["outcomes"] as? [String: Int])?["unmatched"] == 1)
                #expect(abs((stats["fallback_rate"] as? Double ?? 0) - 0.3333) < 0.001)
                let recent = try #require(stats["recent_unmatched"] as? [[String: Any]])
                #expect(recent.first?["message"] as? String == "what is the meaning of life")
            }
        }
    }

    /// Without any token the counts are public but the customers' words are not.
    @Test func withoutATokenStatsLeaveTheMessagesOut() async throws {
        let app = try await app(token: nil)
        try await Application(router: app.router()).test(.router) { client in
            _ = try await match(client, "what is the meaning of life")
            try await client.execute(uri: "/v1/stats?recent=5", method: .get) { response in
                #expect(response.status == .ok)
                let stats = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                #expect(stats["total"] as? Int == 1)
                #expect(stats["messages_hidden"] as? Bool == true)
                #expect((stats["recent_unmatched"] as? [Any])?.isEmpty == true)
                #expect(!String(buffer: response.body).contains("meaning of life"))
            }
        }
    }

    /// A stats token of its own opens /v1/stats without opening the admin routes.
    @Test func aStatsTokenOpensOnlyTheStats() async throws {
        var settings = IntentServerApp.Settings()
        settings.statsToken = "stats-only"
        let app = IntentServerApp(settings: settings, logger: Logger(label: "test")) { try await CorpusSource().load() }
        try await app.reloader.reload()
        try await Application(router: app.router()).test(.router) { client in
            try await client.execute(uri: "/v1/stats", method: .get, headers: [.authorization: "Bearer stats-only"]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/stats", method: .get, headers: [.authorization: "Bearer wrong"]) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/admin/reload", method: .post, headers: [.authorization: "Bearer stats-only"]) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func metricsExposeRequestsOutcomesAndCorpus() async throws {
        let app = try await app()
        try await Application(router: app.router()).test(.router) { client in
            _ = try await match(client, "我想退款")
            _ = try await match(client, "")
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains(#"intent_http_requests_total{route="/match",status="200"} 1"#))
                #expect(text.contains(#"intent_http_requests_total{route="/match",status="400"} 1"#))
                #expect(text.contains(#"intent_match_outcomes_total{status="matched",method="embedding"} 1"#))
                #expect(text.contains("intent_http_request_duration_seconds_bucket"))
                #expect(text.contains("intent_corpus_entries 2"))
                #expect(text.contains(#"intent_reloads_total{result="ok"} 1"#))
            }
        }
    }

    @Test func adminRoutesNeedTheToken() async throws {
        try await Application(router: try await app().router()).test(.router) { client in
            let missing = try await reload(client, token: nil).0
            #expect(missing == .unauthorized)
            let (status, body) = try await reload(client, token: "wrong")
            #expect(status == .unauthorized)
            #expect(!body.contains("s3cret-token"))
            let right = try await reload(client, token: "s3cret-token").0
            #expect(right == .ok)
        }
        try await Application(router: try await app(token: nil).router()).test(.router) { client in
            let disabled = try await reload(client, token: "anything").0
            #expect(disabled == .notFound)
        }
    }

    @Test func reloadSwapsInTheNewCorpusAndKeepsTheOldOnError() async throws {
        let source = CorpusSource()
        try await Application(router: try await app(source: source).router()).test(.router) { client in
            let first = try await match(client, "我想退款").1["answer"] as? String
            #expect(first == "first answer")
            source.answer.withLock { $0 = "second answer" }
            let reloaded = try await reload(client, token: "s3cret-token").0
            #expect(reloaded == .ok)
            let second = try await match(client, "我想退款").1["answer"] as? String
            #expect(second == "second answer")

            source.broken.withLock { $0 = true }
            let (status, body) = try await reload(client, token: "s3cret-token")
            #expect(status == .unprocessableContent)
            #expect(body.contains("faq.jsonl:3: answer: missing"))
            let kept = try await match(client, "我想退款").1["answer"] as? String
            #expect(kept == "second answer")
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func noRequestFailsWhileReloadsSwapTheIndex() async throws {
        let source = CorpusSource()
        let app = try await app(source: source)
        try await Application(router: app.router()).test(.live) { client in
            try await withThrowingTaskGroup(of: [HTTPResponse.Status].self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var statuses: [HTTPResponse.Status] = []
                        for i in 0..<60 {
                            let (status, body) = try await match(client, i % 2 == 0 ? "我想退款" : "where is my parcel")
                            statuses.append(status)
                            if status == .ok, i % 2 == 0 { #expect(body["id"] as? String == "refund", "worker \(worker)") }
                        }
                        return statuses
                    }
                }
                group.addTask {
                    var statuses: [HTTPResponse.Status] = []
                    for i in 0..<20 {
                        source.answer.withLock { $0 = "answer \(i)" }
                        statuses.append(try await reload(client, token: "s3cret-token").0)
                    }
                    return statuses
                }
                var all: [HTTPResponse.Status] = []
                for try await statuses in group { all += statuses }
                #expect(all.count == 4 * 60 + 20)
                #expect(all.allSatisfy { $0 == .ok })
            }
        }
    }

    @Test func headProbesAnswerLikeGetWithoutABody() async throws {
        let app = try await app()
        try await Application(router: app.router()).test(.router) { client in
            for path in ["/healthz", "/readyz", "/metrics"] {
                try await client.execute(uri: path, method: .head) { response in
                    #expect(response.status == .ok, "HEAD \(path)")
                    #expect(response.body.readableBytes == 0, "HEAD \(path) has no body")
                }
            }
            try await client.execute(uri: "/v1/stats", method: .head, headers: [.authorization: "Bearer s3cret-token"]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/stats", method: .head) { response in
                #expect(response.status == .unauthorized, "HEAD is held to GET's token")
            }
        }
    }

    @Test func theRootSendsABrowserToTheConsole() async throws {
        let app = try await app()
        try await Application(router: app.router()).test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/console")
            }
        }
    }
}
