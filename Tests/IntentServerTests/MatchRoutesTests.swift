import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IntentCore
import Logging
import NIOFoundationEssentialsCompat
import Testing

@testable import IntentServer

@Suite struct MatchRoutesTests {
    static let corpus = Corpus(
        entries: [
            FAQEntry(id: "refund", questions: ["how do i get a refund", "我想退款"], answer: "Refunds take 5 days."),
            FAQEntry(id: "track", questions: ["where is my parcel", "order tracking"], answer: "Track it online."),
        ],
        rules: [try! KeywordRule(id: "human", mode: .containsAny, patterns: ["人工"], reply: .answer("Passing you on."), stage: .before)])

    func app(ready: Bool = true) async throws -> IntentServerApp {
        let app = IntentServerApp(settings: .init(), logger: Logger(label: "test")) {
            MatchService(try await Matcher.build(corpus: Self.corpus, embedder: LexicalEmbedder()))
        }
        if ready { try await app.reloader.reload() }
        return app
    }

    func post(
        _ client: some TestClientProtocol, _ uri: String, _ body: String, contentType: String? = "application/json"
    )
        async throws -> (HTTPResponse.Status, [String: Any])
    {
        var headers: HTTPFields = [:]
        if let contentType { headers[.contentType] = contentType }
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
            let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
            return (response.status, object)
        }
    }

    func errorCode(_ object: [String: Any]) -> String? {
        (object["error"] as? [String: Any])?["code"] as? String
    }

    @Test func matchAnswersWithTheDecisionAndServiceFields() async throws {
        try await Application(router: try await app().router()).test(.router) { client in
            let (status, d) = try await post(client, "/match", #"{"message": "我想退款", "top_k": 2, "channel": "whatsapp"}"#)
            #expect(status == .ok)
            #expect(d["status"] as? String == "matched")
            #expect(d["id"] as? String == "refund")
            #expect(d["method"] as? String == "embedding")
            #expect(d["degraded"] as? Bool == false)
            #expect(d.keys.contains("degraded_reason"))
            #expect((d["request_id"] as? String)?.isEmpty == false)
            #expect(d["latency_ms"] is Double || d["latency_ms"] is Int)
            #expect((1...2).contains((d["candidates"] as? [Any])?.count ?? 0))
        }
    }

    @Test func batchAnswersInOrder() async throws {
        try await Application(router: try await app().router()).test(.router) { client in
            let (status, body) = try await post(client, "/match/batch", #"{"messages": ["转人工", "where is my parcel?"]}"#)
            #expect(status == .ok)
            let results = try #require(body["results"] as? [[String: Any]])
            #expect(results.map { $0["status"] as? String } == ["keyword", "matched"])
            #expect(results[1]["id"] as? String == "track")
        }
    }

    @Test(arguments: [
        ("/match", "{not json", "invalid_json"),
        ("/match", "{}", "missing_field"),
        ("/match", #"{"message": 42}"#, "wrong_type"),
        ("/match", #"{"message": "   "}"#, "empty_message"),
        ("/match", #"{"message": ""}"#, "empty_message"),
        ("/match", #"{"message": "hi", "top_k": 0}"#, "top_k_out_of_range"),
        ("/match", #"{"message": "hi", "top_k": 21}"#, "top_k_out_of_range"),
        ("/match", #"{"message": "hi", "top_k": "3"}"#, "wrong_type"),
        ("/match/batch", #"{"messages": []}"#, "batch_size"),
        ("/match/batch", #"{"messages": ["ok", " "]}"#, "empty_message"),
    ])
    func badRequestsGetA400WithACode(uri: String, body: String, code: String) async throws {
        try await Application(router: try await app().router()).test(.router) { client in
            let (status, object) = try await post(client, uri, body)
            #expect(status == .badRequest)
            #expect(errorCode(object) == code)
        }
    }

    @Test func limitsAndMediaTypes() async throws {
        try await Application(router: try await app().router()).test(.router) { client in
            let long = String(repeating: "a", count: 2_001)
            #expect(errorCode(try await post(client, "/match", #"{"message": "\#(long)"}"#).1) == "message_too_long")
            // One character of 3,001 scalars ("a" and combining marks) counts for what it weighs.
            let stacked = "a" + String(repeating: "\u{0301}", count: 3_000)
            let (stackedStatus, stackedBody) = try await post(client, "/match", #"{"message": "\#(stacked)"}"#)
            #expect(stackedStatus == .badRequest)
            #expect(errorCode(stackedBody) == "message_too_long")
            let huge = #"{"message": "hi", "pad": ""# + String(repeating: "x", count: 70_000) + #""}"#
            let (tooLarge, body) = try await post(client, "/match", huge)
            #expect(tooLarge == .contentTooLarge)
            #expect(errorCode(body) == "body_too_large")
            let (unsupported, _) = try await post(client, "/match", #"{"message": "hi"}"#, contentType: "text/plain")
            #expect(unsupported == .unsupportedMediaType)
            let batch = "{\"messages\": [" + Array(repeating: "\"a\"", count: 101).joined(separator: ",") + "]}"
            #expect(errorCode(try await post(client, "/match/batch", batch).1) == "batch_size")
        }
    }

    @Test func invalidUTF8IsRejectedClearly() async throws {
        try await Application(router: try await app().router()).test(.router) { client in
            var bytes = Array(#"{"message": "caf"#.utf8)
            bytes += [0xE9] + Array(#""}"#.utf8)
            try await client.execute(
                uri: "/match", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: bytes)
            ) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("invalid_utf8"))
            }
        }
    }

    @Test func unknownRoutesAndWrongMethods() async throws {
        try await Application(router: try await app().router()).test(.router) { client in
            try await client.execute(uri: "/nope", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("not_found"))
            }
            try await client.execute(uri: "/match", method: .get) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "POST")
                #expect(String(buffer: response.body).contains("method_not_allowed"))
            }
        }
    }

    @Test func healthAndReadiness() async throws {
        try await Application(router: try await app(ready: false).router()).test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .serviceUnavailable) }
            let (status, body) = try await post(client, "/match", #"{"message": "hi"}"#)
            #expect(status == .serviceUnavailable)
            #expect(errorCode(body) == "not_ready")
        }
        try await Application(router: try await app().router()).test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("corpus_version"))
            }
        }
    }
}
