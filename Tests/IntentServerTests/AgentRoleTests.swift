import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IntentChannels
import IntentCore
import IntentSQLite
import IntentTestSupport
import Logging
import NIOFoundationEssentialsCompat
import Testing

@testable import IntentServer

/// Agents' tokens and roles on the routes: viewers read, agents answer and teach, admins also
/// manage the corpus's answers, the flows and the agents; a write beyond one's role is 403, a
/// token nobody holds 401. What an agent writes is signed with their name.
@Suite struct AgentRoleTests {
    static let base = Corpus(entries: [
        FAQEntry(id: "track", questions: ["where is my parcel", "track my order"], answer: "Track it online."),
        FAQEntry(id: "payment_methods", questions: ["which payment methods do you accept", "can I pay by card"], answer: "Cards and PayPal."),
    ])

    struct Setup {
        let folder: TemporaryDirectory
        let agents: SQLiteStateStore
        let edits = MemoryEditStore()
        var viewer = "", agent = "", admin = ""
    }

    /// The app with the console token "c", the admin token "a" (unless `tokens` is false), and
    /// three agents in a SQLite state store: Vic (viewer), Lena (agent), Ops (admin).
    func setup(tokens: Bool = true, cacheSeconds: Double = 0) async throws -> (IntentServerApp, Setup) {
        let folder = try TemporaryDirectory("agent-roles")
        var setup = Setup(folder: folder, agents: try SQLiteStateStore(path: folder.file("state.sqlite")))
        let now = Date()
        setup.viewer = try await setup.agents.addAgent(named: "Vic", role: .viewer, at: now).token
        setup.agent = try await setup.agents.addAgent(named: "Lena", role: .agent, at: now).token
        setup.admin = try await setup.agents.addAgent(named: "Ops", role: .admin, at: now).token
        var settings = IntentServerApp.Settings()
        if tokens {
            settings.consoleToken = "c"
            settings.adminToken = "a"
        }
        settings.agentTokenCacheSeconds = cacheSeconds
        let (edits, store) = (setup.edits, setup.agents)
        let flows = FlowDocuments(inService: { .none }, check: { text in try FlowFile.parse(text, file: "flows.yaml") }, open: { _ in nil })
        let app = IntentServerApp(settings: settings, logger: Logger(label: "test"), edits: { _ in edits }, flows: flows, agents: { _ in store }) {
            MatchService(try await Matcher.build(corpus: Self.base.applying(try edits.edits()), embedder: LexicalEmbedder()))
        }
        try await app.reloader.reload()
        return (app, setup)
    }

    func call(
        _ client: some TestClientProtocol, _ uri: String, method: HTTPRequest.Method = .get, token: String?, body: [String: Any]? = nil
    ) async throws -> (HTTPResponse.Status, [String: Any]) {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        var buffer: ByteBuffer?
        if let body {
            headers[.contentType] = "application/json"
            buffer = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))
        }
        return try await client.execute(uri: uri, method: method, headers: headers, body: buffer) { response in
            (response.status, (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:])
        }
    }

    func code(_ body: [String: Any]) -> String? { (body["error"] as? [String: Any])?["code"] as? String }

    /// A review cluster of unmatched questions, made by asking them.
    func cluster(_ client: some TestClientProtocol, _ message: String, token: String) async throws -> String {
        _ = try await call(client, "/match", method: .post, token: nil, body: ["message": message])
        let clusters = try #require(try await call(client, "/v1/review", token: token).1["clusters"] as? [[String: Any]])
        return try #require(clusters.first?["id"] as? String)
    }

    @Test func eachRoleDoesWhatItMayAndNoMore() async throws {
        let (app, setup) = try await setup()
        try await Application(router: app.router()).test(.router) { client in
            // Who is signed in.
            let me = try await call(client, "/v1/me", token: setup.viewer)
            #expect(me.0 == .ok && me.1["name"] as? String == "Vic" && me.1["role"] as? String == "viewer")
            #expect(try await call(client, "/v1/me", token: setup.admin).1["role"] as? String == "admin")
            let console = try await call(client, "/v1/me", token: "c")
            #expect(console.1["role"] as? String == "admin" && console.1["name"] == nil, "the console token is an admin without a name")

            // A viewer reads everything the console shows, and writes nothing.
            for path in ["/v1/review", "/v1/corpus", "/v1/edits", "/v1/translations", "/v1/conversations", "/v1/stats", "/v1/flows/document"] {
                #expect(try await call(client, path, token: setup.viewer).0 == .ok, "\(path)")
            }
            let id = try await cluster(client, "is bitcoin accepted here", token: setup.viewer)
            let (refused, error) = try await call(
                client, "/v1/review/\(id)/assign", method: .post, token: setup.viewer, body: ["entry": "payment_methods"])
            #expect(refused == .forbidden && code(error) == "forbidden_role")
            let message = (error["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.contains("needs the role agent") && message.contains("'Vic' has the role viewer"), "\(message)")
            #expect(!message.contains(setup.viewer), "never the token")

            // An agent teaches the bot from the review queue; the body's `by` does not sign for them.
            let (assigned, result) = try await call(
                client, "/v1/review/\(id)/assign", method: .post, token: setup.agent, body: ["entry": "payment_methods", "by": "Mallory"])
            #expect(assigned == .ok, "\(result)")
            #expect((result["edit"] as? [String: Any])?["by"] as? String == "Lena")
            #expect(try setup.edits.edits().last?.by == "Lena")
            let (created, entry) = try await call(
                client, "/v1/entries", method: .post, token: setup.agent,
                body: ["id": "gift", "questions": ["do you sell gift cards", "gift card"], "answer": "Yes."])
            #expect(created == .created && (entry["edit"] as? [String: Any])?["by"] as? String == "Lena")
            // ... but does not manage the corpus's answers, the flows or the agents.
            let answer = ["answer": "Síguelo en línea."]
            #expect(try await call(client, "/v1/entries/track/answers/es", method: .put, token: setup.agent, body: answer).0 == .forbidden)
            #expect(try await call(client, "/v1/translations/track/es", method: .delete, token: setup.agent).0 == .forbidden)
            #expect(try await call(client, "/v1/flows/document", method: .put, token: setup.agent, body: ["text": "flows: {}"]).0 == .forbidden)
            #expect(try await call(client, "/v1/flows/validate", method: .post, token: setup.agent, body: ["text": "flows: {}"]).0 == .forbidden)
            #expect(try await call(client, "/v1/agents", token: setup.agent).0 == .forbidden)
            #expect(try setup.edits.edits().count == 2, "nothing refused was stored")

            // An admin agent does, signed with their name.
            let (set, edit) = try await call(client, "/v1/entries/track/answers/es", method: .put, token: setup.admin, body: answer)
            #expect(set == .ok && (edit["edit"] as? [String: Any])?["by"] as? String == "Ops")
            #expect(try await call(client, "/v1/flows/validate", method: .post, token: setup.admin, body: ["text": "flows: {}"]).0 == .ok)
            // A configured token still signs with the body's name, else its own.
            let (_, byName) = try await call(
                client, "/v1/entries/track/answers/fr", method: .put, token: "c", body: ["answer": "Suivez-le en ligne.", "by": "Kim"])
            #expect((byName["edit"] as? [String: Any])?["by"] as? String == "Kim")
            let (_, byToken) = try await call(client, "/v1/entries/track/answers/de", method: .put, token: "c", body: ["answer": "Online verfolgen."])
            #expect((byToken["edit"] as? [String: Any])?["by"] as? String == "console token")

            // Reloading stays the admin token's alone.
            #expect(try await call(client, "/admin/reload", method: .post, token: setup.admin).0 == .unauthorized)
            #expect(try await call(client, "/admin/reload", method: .post, token: "c").0 == .unauthorized)
            #expect(try await call(client, "/admin/reload", method: .post, token: "a").0 == .ok)

            // A token nobody holds, one that only looks like an agent's, and none: 401.
            for token in [AgentToken.generate(), "ia_" + String(repeating: "x", count: 43), "wrong", nil] {
                #expect(try await call(client, "/v1/review", token: token).0 == .unauthorized, "\(token ?? "none")")
            }
        }
    }

    @Test func adminsManageAgentsAndChangesTakeEffect() async throws {
        let (app, setup) = try await setup()
        try await Application(router: app.router()).test(.router) { client in
            let (listed, list) = try await call(client, "/v1/agents", token: setup.admin)
            let agents = try #require(list["agents"] as? [[String: Any]])
            #expect(listed == .ok && agents.map { $0["name"] as? String } == ["Lena", "Ops", "Vic"])
            #expect(agents.allSatisfy { $0["token"] == nil && $0.keys.contains("last_seen_at") })
            #expect(agents.first { $0["name"] as? String == "Ops" }?["last_seen_at"] is String, "the admin's token was just used")

            // Added: the token is in the 201 alone, and opens the console at once.
            let (created, added) = try await call(client, "/v1/agents", method: .post, token: "c", body: ["name": "Kim Lee", "role": "viewer"])
            #expect(created == .created && added["name"] as? String == "Kim Lee" && added["role"] as? String == "viewer")
            let token = try #require(added["token"] as? String)
            #expect(try await call(client, "/v1/me", token: token).1["name"] as? String == "Kim Lee")
            #expect(try await call(client, "/v1/agents", method: .post, token: "c", body: ["name": "Kim Lee", "role": "agent"]).0 == .conflict)
            let invalid = try await call(client, "/v1/agents", method: .post, token: "c", body: ["name": "Kim\nLee", "role": "agent"])
            #expect(invalid.0 == .badRequest && code(invalid.1) == "invalid_name")
            #expect(code(try await call(client, "/v1/agents", method: .post, token: "c", body: ["name": "Kim", "role": "root"]).1) == "invalid_role")
            #expect(agents.allSatisfy { $0["display_name"] is NSNull }, "null without one, rather than absent")

            // A display name in any script, shown beside the name that stays the key.
            let (named, wang) = try await call(
                client, "/v1/agents", method: .post, token: "c", body: ["name": "wang.fang", "role": "agent", "display_name": "王芳"])
            #expect(named == .created && wang["name"] as? String == "wang.fang" && wang["display_name"] as? String == "王芳", "\(wang)")
            let me = try await call(client, "/v1/me", token: try #require(wang["token"] as? String)).1
            #expect(me["name"] as? String == "wang.fang" && me["display_name"] as? String == "王芳", "\(me)")
            for bad in ["王\u{202E}芳", " 王芳", ""] {
                let refused = try await call(
                    client, "/v1/agents", method: .post, token: "c", body: ["name": "li", "role": "agent", "display_name": bad])
                #expect(refused.0 == .badRequest && code(refused.1) == "invalid_display_name", "\(bad.debugDescription): \(refused.1)")
            }

            // A new token: the old one stops working, the new one works.
            let (rotated, fresh) = try await call(client, "/v1/agents/Kim%20Lee/token", method: .post, token: setup.admin)
            let newToken = try #require(fresh["token"] as? String)
            #expect(rotated == .ok && newToken != token)
            #expect(try await call(client, "/v1/me", token: token).0 == .unauthorized)
            #expect(try await call(client, "/v1/me", token: newToken).0 == .ok)

            // Removed: gone, and so is the token (the CLI's removal too, here with no cache).
            #expect(try await call(client, "/v1/agents/Kim%20Lee", method: .delete, token: setup.admin).0 == .ok)
            #expect(try await call(client, "/v1/agents/Kim%20Lee", method: .delete, token: setup.admin).0 == .notFound)
            #expect(try await call(client, "/v1/me", token: newToken).0 == .unauthorized)
            #expect(try await setup.agents.removeAgent(named: "Lena"))
            #expect(try await call(client, "/v1/review", token: setup.agent).0 == .unauthorized)
        }
    }

    /// With no console or admin token configured, agents' tokens alone open the console; without
    /// one, it is 401 rather than "set a console token".
    @Test func agentsAloneOpenTheConsole() async throws {
        let (app, setup) = try await setup(tokens: false)
        try await Application(router: app.router()).test(.router) { client in
            #expect(try await call(client, "/v1/conversations", token: setup.viewer).0 == .ok)
            #expect(try await call(client, "/v1/conversations", token: nil).0 == .unauthorized)
            #expect(try await call(client, "/v1/stats", token: setup.viewer).1["messages_hidden"] as? Bool == false)
            let open = try await call(client, "/v1/stats", token: nil)
            #expect(open.0 == .ok && open.1["messages_hidden"] as? Bool == true, "counts stay public without a configured token")
        }
    }

    @Test func theStatsTokenIsBelowTheConsole() async throws {
        var settings = IntentServerApp.Settings()
        settings.statsToken = "s"
        settings.consoleToken = "c"
        let app = IntentServerApp(settings: settings, logger: Logger(label: "test")) {
            MatchService(try await Matcher.build(corpus: Self.base, embedder: LexicalEmbedder()))
        }
        try await app.reloader.reload()
        try await Application(router: app.router()).test(.router) { client in
            #expect(try await call(client, "/v1/stats", token: "s").0 == .ok)
            let (status, body) = try await call(client, "/v1/review", token: "s")
            #expect(status == .forbidden && code(body) == "forbidden_role")
        }
    }

    /// A server remembers a token for a few seconds: a removal elsewhere (the CLI, another
    /// replica) takes effect when that expires, not before and not later.
    @Test func aRemovedAgentsTokenStopsWorkingWhenTheCacheExpires() async throws {
        let folder = try TemporaryDirectory("agent-cache")
        let store = try SQLiteStateStore(path: folder.file("state.sqlite"))
        let token = try await store.addAgent(named: "Lena", role: .agent, at: Date()).token
        let clock = Locked(Date(timeIntervalSince1970: 1_800_000_000))
        let directory = AgentDirectory(open: { _ in store }, cacheSeconds: 5, now: { clock.current })
        #expect(try await directory.agent(token: token)?.name == "Lena")
        #expect(try await store.agents().first?.lastSeenAt == clock.current, "seen, for agents list")
        #expect(try await store.removeAgent(named: "Lena"))
        clock.withLock { $0 += 4.9 }
        #expect(try await directory.agent(token: token)?.name == "Lena", "remembered")
        clock.withLock { $0 += 0.2 }
        #expect(try await directory.agent(token: token) == nil, "forgotten after 5 s")
        // A token not found is remembered too (a guesser costs the store one read per token and
        // period): an agent added elsewhere meanwhile signs in when that expires.
        let later = AgentToken.generate()
        #expect(try await directory.agent(token: later) == nil)
        try await store.addAgent(Agent(name: "Kim", role: .viewer, createdAt: clock.current), tokenHash: AgentToken.hash(later))
        #expect(try await directory.agent(token: later) == nil)
        clock.withLock { $0 += 5.1 }
        #expect(try await directory.agent(token: later)?.name == "Kim")
    }
}
