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

/// Edits kept in memory, for the routes' tests (the SQLite store has its own).
final class MemoryEditStore: CorpusEditStore {
    struct DiskFull: Error, CustomStringConvertible {
        var description: String { "SQLite error 13: database or disk is full - while executing `INSERT INTO corpus_edits`" }
    }

    private let stored = Locked<[CorpusEdit]>([])
    private let suggested = Locked<[AnswerSuggestion]>([])
    func suggestions() throws -> [AnswerSuggestion] { suggested.current }
    func suggest(_ suggestion: AnswerSuggestion) throws {
        suggested.withLock { list in
            list.removeAll { $0.entry == suggestion.entry && $0.language == suggestion.language }
            list.append(suggestion)
        }
    }
    func removeSuggestion(entry: String, language: String) throws {
        suggested.withLock { $0.removeAll { $0.entry == entry && $0.language == language } }
    }
    /// While set, writes fail as a full disk's would.
    let failing = Locked(false)
    func edits() throws -> [CorpusEdit] { stored.current }
    func append(_ edit: CorpusEdit) throws -> CorpusEdit {
        if failing.current { throw DiskFull() }
        return stored.withLock { edits in
            var edit = edit
            edit.number = edits.count + 1
            edits.append(edit)
            return edit
        }
    }
}

/// The review queue's actions: each edit is validated, stored with who and when, served by a
/// reload before the reply, and takes its messages out of the queue.
@Suite struct ReviewTests {
    static let base = Corpus(entries: [
        FAQEntry(id: "track", questions: ["where is my parcel", "track my order"], answer: "Track it online."),
        FAQEntry(id: "payment_methods", questions: ["which payment methods do you accept", "can I pay by card"], answer: "Cards and PayPal."),
    ])

    func app(store: MemoryEditStore) async throws -> IntentServerApp {
        var settings = IntentServerApp.Settings()
        settings.consoleToken = "c"
        settings.adminToken = "a"
        let app = IntentServerApp(settings: settings, logger: Logger(label: "test"), edits: { _ in store }) {
            MatchService(try await Matcher.build(corpus: Self.base.applying(try store.edits()), embedder: LexicalEmbedder()))
        }
        try await app.reloader.reload()
        return app
    }

    func call(
        _ client: some TestClientProtocol, _ uri: String, method: HTTPRequest.Method = .get, token: String? = "c", body: [String: Any]? = nil
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

    func match(_ client: some TestClientProtocol, _ message: String, customer: String = "c1") async throws -> [String: Any] {
        try await call(client, "/match", method: .post, token: nil, body: ["message": message, "customer_id": customer]).1
    }

    func clusters(_ client: some TestClientProtocol) async throws -> [[String: Any]] {
        try #require(try await call(client, "/v1/review").1["clusters"] as? [[String: Any]])
    }

    @Test func aCustomersPickOfDidYouMeanIsAConfirmedSuggestion() async throws {
        let store = MemoryEditStore()
        let app = try await app(store: store)
        try await Application(router: app.router()).test(.router) { client in
            #expect(try await match(client, "bitcoin accepted?")["status"] as? String == "unmatched")
            #expect(try await clusters(client).first?["confirmed"] == nil)
            // On a channel the customer was offered entries for that question and picked one.
            let picked = await app.answerer.answer(picking: "payment_methods", words: "can I pay by card", question: "Bitcoin accepted??")
            #expect(picked.answer == "Cards and PayPal." && picked.chosen == true)
            _ = await app.answerer.answer(picking: "", words: "Something else", question: "bitcoin accepted?")
            let cluster = try #require(try await clusters(client).first)
            let confirmed = try #require(cluster["confirmed"] as? [String: Any])
            #expect(confirmed["entry"] as? String == "payment_methods")
            #expect(confirmed["picks"] as? Int == 1)
        }
    }

    @Test func assigningAClusterTeachesTheMatcherAndEmptiesTheQueue() async throws {
        let store = MemoryEditStore()
        try await Application(router: try await app(store: store).router()).test(.router) { client in
            for (i, message) in ["bitcoin accepted?", "is bitcoin accepted", "Bitcoin accepted??"].enumerated() {
                #expect(try await match(client, message, customer: "c\(i % 2)")["status"] as? String == "unmatched")
            }
            let queue = try await clusters(client)
            #expect(queue.count == 1)
            let cluster = try #require(queue.first)
            #expect(cluster["size"] as? Int == 3 && cluster["customers"] as? Int == 2)
            let id = try #require(cluster["id"] as? String)

            #expect(
                try await call(client, "/v1/review/\(id)/assign", method: .post, token: nil, body: ["entry": "payment_methods"]).0 == .unauthorized)
            let (unknown, error) = try await call(client, "/v1/review/\(id)/assign", method: .post, body: ["entry": "nope"])
            #expect(unknown == .conflict)
            #expect(((error["error"] as? [String: Any])?["message"] as? String)?.hasPrefix("entry: 'nope' is not an entry") == true)
            #expect(try store.edits().isEmpty, "a refused edit stores nothing")

            let (status, result) = try await call(client, "/v1/review/\(id)/assign", method: .post, body: ["entry": "payment_methods", "by": "Lena"])
            #expect(status == .ok)
            let edit = try #require(result["edit"] as? [String: Any])
            #expect(edit["by"] as? String == "Lena" && edit["kind"] as? String == "paraphrases")
            #expect((edit["questions"] as? [String])?.count == 2, "wordings that normalise alike are one paraphrase")
            // Served as soon as the reply is out: the very next /match answers.
            let answer = try await match(client, "is bitcoin accepted")
            #expect(answer["status"] as? String == "matched" && answer["id"] as? String == "payment_methods")
            #expect(result["corpus_version"] as? String == Self.base.applying(try store.edits()).version)
            #expect(try await clusters(client).isEmpty, "done items leave the queue")
            #expect(try await call(client, "/v1/review/\(id)/assign", method: .post, body: ["entry": "payment_methods"]).0 == .notFound)
        }
    }

    @Test func newEntriesAndOutOfScopeAreValidatedLikeAnImport() async throws {
        let store = MemoryEditStore()
        try await Application(router: try await app(store: store).router()).test(.router) { client in
            let taken = try await call(client, "/v1/entries", method: .post, body: ["id": "track", "questions": ["x marks"], "answer": "a"])
            #expect(taken.0 == .conflict)
            let shared = try await call(
                client, "/v1/entries", method: .post,
                body: ["id": "gift", "questions": ["do you sell gift cards", "Track my order"], "answer": "Yes."])
            #expect(shared.0 == .conflict)
            #expect(((shared.1["error"] as? [String: Any])?["message"] as? String)?.contains("questions[1]") == true)
            let blank = try await call(
                client, "/v1/entries", method: .post, body: ["id": "gift", "questions": ["do you sell gift cards"], "answer": "  "])
            #expect(blank.0 == .badRequest)
            #expect(try store.edits().isEmpty)

            let (created, result) = try await call(
                client, "/v1/entries", method: .post, token: "a",
                body: ["id": "gift", "questions": ["do you sell gift cards", "gift card"], "answer": "Yes."])
            #expect(created == .created)
            #expect((result["edit"] as? [String: Any])?["by"] as? String == "admin token")
            #expect(try await match(client, "do you sell gift cards?")["id"] as? String == "gift")

            #expect(try await match(client, "what is the meaning of life")["status"] as? String == "unmatched")
            let id = try #require(try await clusters(client).first?["id"] as? String)
            let (dismissed, _) = try await call(client, "/v1/review/\(id)/dismiss", method: .post)
            #expect(dismissed == .ok)
            #expect(try await clusters(client).isEmpty)
            let edits = try #require(try await call(client, "/v1/edits").1["edits"] as? [[String: Any]])
            #expect(edits.map { $0["kind"] as? String } == ["out_of_scope", "entry"], "newest first")
            #expect(edits.first?["by"] as? String == "console token")
            #expect(try store.edits().last?.questions == ["what is the meaning of life"])
        }
    }

    @Test func anEntryLearnsAnAnswerInTheCustomersLanguage() async throws {
        let store = MemoryEditStore()
        try await Application(router: try await app(store: store).router()).test(.router) { client in
            let before = try await match(client, "hola, ¿dónde está mi paquete? where is my parcel")
            #expect(before["language"] as? String == "es" && before["answer"] as? String == "Track it online.")
            #expect(before["answer_language"] is NSNull)

            let (status, result) = try await call(
                client, "/v1/entries/track/answers/es", method: .put, body: ["answer": "Síguelo en línea.", "by": "Lena"])
            #expect(status == .ok)
            let edit = try #require(result["edit"] as? [String: Any])
            #expect(edit["kind"] as? String == "answer" && edit["language"] as? String == "es" && edit["by"] as? String == "Lena")
            let after = try await match(client, "hola, ¿dónde está mi paquete? where is my parcel")
            #expect(after["answer"] as? String == "Síguelo en línea." && after["answer_language"] as? String == "es")
            #expect(try await match(client, "where is my parcel")["answer"] as? String == "Track it online.")
            // A caller that knows the customer's language says so; a code that is none is refused.
            let hinted = try await call(client, "/match", method: .post, token: nil, body: ["message": "where is my parcel", "language": "es"])
            #expect(hinted.1["answer"] as? String == "Síguelo en línea." && hinted.1["language"] as? String == "es")
            let (badHint, _) = try await call(
                client, "/match", method: .post, token: nil, body: ["message": "where is my parcel", "language": "es-MX"])
            #expect(badHint == .badRequest)
            let entries = try #require(try await call(client, "/v1/corpus").1["entries"] as? [[String: Any]])
            #expect(entries.first?["answers"] as? [String: String] == ["es": "Síguelo en línea."])

            // `default` replaces the answer for every other language.
            let (replaced, _) = try await call(
                client, "/v1/entries/track/answers/default", method: .put, body: ["answer": "See lumen.example/track."])
            #expect(replaced == .ok)
            #expect(try await match(client, "where is my parcel")["answer"] as? String == "See lumen.example/track.")

            let (badLanguage, bad) = try await call(client, "/v1/entries/track/answers/spanish", method: .put, body: ["answer": "x"])
            #expect(badLanguage == .badRequest)
            #expect(((bad["error"] as? [String: Any])?["message"] as? String)?.contains("language") == true)
            let (unknown, _) = try await call(client, "/v1/entries/nope/answers/es", method: .put, body: ["answer": "x"])
            #expect(unknown == .notFound)
            let (same, _) = try await call(client, "/v1/entries/track/answers/es", method: .put, body: ["answer": "Síguelo en línea."])
            #expect(same == .conflict)
            #expect(try store.edits().count == 2, "refused edits store nothing")
        }
    }

    @Test func theCorpusRouteListsEntriesHitsEditsAndLint() async throws {
        let store = MemoryEditStore()
        try await Application(router: try await app(store: store).router()).test(.router) { client in
            _ = try await match(client, "where is my parcel")
            _ = try await call(client, "/v1/entries", method: .post, body: ["id": "gift", "questions": ["do you sell gift cards"], "answer": "Yes."])
            var corpus: [String: Any] = [:]
            for _ in 0..<100 {
                corpus = try await call(client, "/v1/corpus").1
                if (corpus["lint"] as? [String: Any])?["status"] as? String == "ready" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let entries = try #require(corpus["entries"] as? [[String: Any]])
            #expect(entries.map { $0["id"] as? String } == ["track", "payment_methods", "gift"])
            #expect(entries.first?["hits"] as? Int == 1)
            #expect(entries.last?["edits"] as? [Int] == [1])
            let lint = try #require(corpus["lint"] as? [String: Any])
            #expect(lint["status"] as? String == "ready")
            #expect((lint["thin_entries"] as? [String])?.sorted() == ["gift", "payment_methods", "track"])
        }
    }

    @Test func aStoreThatCannotBeWrittenAnswers503AndReadyzSaysWhy() async throws {
        let store = MemoryEditStore()
        store.failing.withLock { $0 = true }
        try await Application(router: try await app(store: store).router()).test(.router) { client in
            let entry: [String: Any] = ["id": "bitcoin", "questions": ["do you take bitcoin"], "answer": "No, sorry."]
            let (status, body) = try await call(client, "/v1/entries", method: .post, body: entry)
            #expect(status == .serviceUnavailable)
            let error = try #require(body["error"] as? [String: Any])
            #expect(error["code"] as? String == "store_unavailable")
            #expect((error["message"] as? String)?.contains("not stored") == true)
            #expect((error["message"] as? String)?.contains("SQLite") == false, "the database's own words stay in the log")
            let (_, ready) = try await call(client, "/readyz", token: nil)
            #expect(ready["status"] as? String == "degraded")
            let state = try #require(ready["state_store"] as? [String: String])
            #expect(state["status"] == "degraded")
            #expect(state["reason"]?.contains("storing a console edit") == true)

            // The disk has room again: the same request is stored, and /readyz is ready again.
            store.failing.withLock { $0 = false }
            #expect(try await call(client, "/v1/entries", method: .post, body: entry).0 == .created)
            #expect(try store.edits().count == 1)
            let (_, after) = try await call(client, "/readyz", token: nil)
            #expect(after["status"] as? String == "ready")
            #expect(after["state_store"] == nil)
        }
    }

    @Test func editQuestionsAreHeldToTheMessageLimitInScalars() async throws {
        let store = MemoryEditStore()
        try await Application(router: try await app(store: store).router()).test(.router) { client in
            // One character: "a" and 3,000 combining marks (6 KB), over the 2,000 limit.
            let heavy = "a" + String(repeating: "\u{0301}", count: 3_000)
            #expect(heavy.count == 1)
            let entry: [String: Any] = ["id": "heavy", "questions": ["fine", heavy], "answer": "No."]
            let (status, body) = try await call(client, "/v1/entries", method: .post, body: entry)
            #expect(status == .badRequest)
            let error = try #require(body["error"] as? [String: Any])
            #expect(error["code"] as? String == "message_too_long")
            #expect((error["message"] as? String)?.contains("questions[1]") == true)
            #expect(try store.edits().isEmpty)
        }
    }

    @Test func anEditIsRefusedWhenTheStateFileWasDeletedWhileServing() async throws {
        let folder = try TemporaryDirectory("edits-lost")
        defer { withExtendedLifetime(folder) {} }
        let store = try SQLiteStateStore(path: folder.file("state.sqlite"))
        var settings = IntentServerApp.Settings()
        settings.consoleToken = "c"
        let app = IntentServerApp(settings: settings, logger: Logger(label: "test"), edits: { _ in store }) {
            MatchService(try await Matcher.build(corpus: Self.base.applying(try await store.edits()), embedder: LexicalEmbedder()))
        }
        try await app.reloader.reload()
        try await Application(router: app.router()).test(.router) { client in
            let entry: [String: Any] = ["id": "bitcoin", "questions": ["do you take bitcoin"], "answer": "No, sorry."]
            try FileManager.default.removeItem(atPath: folder.file("state.sqlite"))
            let (status, body) = try await call(client, "/v1/entries", method: .post, body: entry)
            #expect(status == .serviceUnavailable)
            #expect((body["error"] as? [String: Any])?["code"] as? String == "store_unavailable")
            let (_, ready) = try await call(client, "/readyz", token: nil)
            #expect((ready["state_store"] as? [String: String])?["reason"]?.contains("deleted") == true)
        }
    }
}
