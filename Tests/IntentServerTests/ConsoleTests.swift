import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IntentCore
import Logging
import Testing

@testable import IntentServer

/// `/console` and its data routes: the page holds nothing private and loads nothing from
/// elsewhere; the data needs the console (or admin) token.
@Suite struct ConsoleTests {
    func app(consoleToken: String?, adminToken: String? = nil) async throws -> IntentServerApp {
        var settings = IntentServerApp.Settings()
        settings.consoleToken = consoleToken
        settings.adminToken = adminToken
        let app = IntentServerApp(settings: settings, logger: Logger(label: "test")) {
            MatchService(
                try await Matcher.build(
                    corpus: Corpus(entries: [
                        FAQEntry(id: "track", questions: ["where is my parcel"], answer: "Track it online.")
                    ]), embedder: LexicalEmbedder()))
        }
        try await app.reloader.reload()
        return app
    }

    func get(_ client: some TestClientProtocol, _ uri: String, token: String? = nil) async throws -> (HTTPResponse.Status, HTTPFields, String) {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: uri, method: .get, headers: headers) { response in
            (response.status, response.headers, String(buffer: response.body))
        }
    }

    @Test func thePageIsSelfContainedAndHoldsNoData() async throws {
        try await Application(router: try await app(consoleToken: "console-secret").router()).test(.router) { client in
            let (status, headers, html) = try await get(client, "/console")
            #expect(status == .ok)
            #expect(headers[.contentType] == "text/html; charset=utf-8")
            #expect(headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            #expect(html.hasPrefix("<!doctype html>"))
            #expect(!html.contains("<script src") && !html.contains("<link"))
            // The only URL is SVG's namespace name, which is never fetched.
            let urls = html.components(separatedBy: "http").dropFirst().map { "http" + $0.prefix(30) }
            #expect(urls.allSatisfy { $0.hasPrefix("http://www.w3.org/2000/svg") }, "\(urls)")
            #expect(!html.contains("console-secret"))
            for id in ["overview", "try", "inbox-panel", "timeline", "signin", "flows-panel", "flow-diagram"] {
                #expect(html.contains("id=\"\(id)\""))
            }
        }
    }

    @Test func theDataNeedsTheConsoleOrAdminToken() async throws {
        try await Application(router: try await app(consoleToken: "console-secret", adminToken: "admin-secret").router()).test(.router) { client in
            #expect(try await get(client, "/v1/conversations").0 == .unauthorized)
            #expect(try await get(client, "/v1/conversations", token: "wrong").0 == .unauthorized)
            let (status, _, body) = try await get(client, "/v1/conversations", token: "console-secret")
            #expect(status == .ok)
            #expect(body == #"{"conversations":[],"enabled":false,"next_cursor":null}"#)
            #expect(try await get(client, "/v1/conversations", token: "admin-secret").0 == .ok)
            #expect(try await get(client, "/v1/conversations?limit=0", token: "admin-secret").0 == .badRequest)
            // `q` is at most 200 characters as the schema counts them: Unicode scalars, so a
            // word dense with combining marks is measured by its marks too.
            let marked = String(repeating: "e%CC%81", count: 101)
            #expect(try await get(client, "/v1/conversations?q=\(marked)", token: "admin-secret").0 == .badRequest)
            let plain = String(repeating: "e%CC%81", count: 100)
            #expect(try await get(client, "/v1/conversations?q=\(plain)", token: "admin-secret").0 == .ok)
            #expect(try await get(client, "/v1/stats", token: "console-secret").0 == .ok)
            #expect(try await get(client, "/v1/stats").0 == .unauthorized)
        }
        // Without any token the console's data routes refuse to serve customers' messages at all.
        try await Application(router: try await app(consoleToken: nil).router()).test(.router) { client in
            let (status, _, body) = try await get(client, "/v1/conversations")
            #expect(status == .forbidden)
            #expect(body.contains("no_console_token"))
        }
    }

    @Test func theReviewQueueGroupsTheSameQuestionLargestFirst() async throws {
        try await Application(router: try await app(consoleToken: "c").router()).test(.router) { client in
            for message in [
                "can I pay with bitcoin", "can i pay with bitcoin?", "Can I pay with Bitcoin please", "do you sell gift cards", "where is my parcel",
            ] {
                _ = try await client.execute(
                    uri: "/match", method: .post, headers: [.contentType: "application/json"],
                    body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: ["message": message]))
                ) { _ in }
            }
            #expect(try await get(client, "/v1/review").0 == .unauthorized)
            let (status, _, body) = try await get(client, "/v1/review", token: "c")
            #expect(status == .ok)
            let review = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            let clusters = try #require(review["clusters"] as? [[String: Any]])
            #expect(review["messages"] as? Int == 4, "the answered message is not in the queue")
            #expect(clusters.map { $0["size"] as? Int } == [3, 1])
            #expect((clusters.first?["examples"] as? [String])?.contains("can I pay with bitcoin") == true)
            #expect((clusters.last?["examples"] as? [String]) == ["do you sell gift cards"])
        }
    }

    @Test func statsCountOutcomesPerHourAndDay() async throws {
        try await Application(router: try await app(consoleToken: "c").router()).test(.router) { client in
            for message in ["where is my parcel", "something else entirely"] {
                _ = try await client.execute(
                    uri: "/match", method: .post, headers: [.contentType: "application/json"],
                    body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: ["message": message]))
                ) { _ in }
            }
            let (_, _, body) = try await get(client, "/v1/stats", token: "c")
            let stats = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            let hours = try #require(stats["by_hour"] as? [[String: Any]])
            let days = try #require(stats["by_day"] as? [[String: Any]])
            #expect(hours.count == 48 && days.count == 30)
            let now = try #require(hours.last?["outcomes"] as? [String: Int])
            #expect(now["matched"] == 1 && now["unmatched"] == 1 && now["keyword"] == 0)
            #expect((hours.last?["at"] as? String) == MatchStatistics.hour(of: Date()) + ":00:00Z")
            #expect((days.last?["outcomes"] as? [String: Int])?["matched"] == 1)
            #expect(hours.dropLast().allSatisfy { ($0["outcomes"] as? [String: Int])?.values.reduce(0, +) == 0 })
        }
    }
}
