import Foundation
import IntentCore
import IntentTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `serve`'s routes as the binary serves them, run in process (`ServedInProcess`): statistics
/// kept across restarts, start-up advice, secrets kept out of the log, the console.
@Suite struct ServeRoutesTests {
    let client = ServeCommandTests()
    let corpus = MatchCommandTests.root.path + "/corpus"

    @Test func statisticsSurviveARestartWhenServingFromAStore() async throws {
        let folder = try TemporaryDirectory("stats")
        defer { withExtendedLifetime(folder) {} }
        let store = "sqlite:" + folder.file("index.sqlite")
        #expect(try await MatchCommandTests().run(["import", "corpus", "--store", store, "--embedder", "lexical", "--quiet"]).status == 0)

        let token = ["INTENT_STATS_TOKEN": "stats-\(UUID().uuidString)"]
        // Stopped at the end of the run: the last batch is written on the way out.
        let before = try await ServedInProcess.run(["--store", store], environment: token) { port, log in
            try await log.waitFor("corpus loaded")
            for message in ["我想把钱要回来", "where is my parcel?", "转人工", "tell me a joke"] {
                #expect(try await client.request(port, "/match", method: "POST", body: ["message": message]).0 == 200)
            }
            let (_, before) = try await client.request(port, "/v1/stats", token: token["INTENT_STATS_TOKEN"])
            #expect(before["total"] as? Int == 4)
            return before["since"] as? String
        }

        try await ServedInProcess.run(["--store", store], environment: token) { port, log in
            try await log.waitFor("corpus loaded")
            #expect(try await client.request(port, "/match", method: "POST", body: ["message": "where is my parcel?"]).0 == 200)
            let (_, after) = try await client.request(port, "/v1/stats", token: token["INTENT_STATS_TOKEN"])
            #expect(after["total"] as? Int == 5)
            #expect(after["since"] as? String == before)
            #expect((after["hits_by_faq"] as? [String: Int])?["track_order"] == 2)
            #expect((after["hits_by_rule"] as? [String: Int])?["human_handover"] == 1)
            let unmatched = (after["recent_unmatched"] as? [[String: Any]])?.compactMap { $0["message"] as? String }
            #expect(unmatched == ["tell me a joke"])
        }
    }

    @Test func withoutTheModelTheStartUpLogSaysHowToGetIt() async throws {
        try await ServedInProcess.run([
            "--corpus", corpus, "--model", "/nonexistent/minilm", "--multilingual-model", "/nonexistent/e5",
        ]) { _, log in
            try await log.waitFor("corpus loaded")
            try await log.waitFor("no multilingual model at /nonexistent/e5; scripts/model fetches multilingual-e5-small")
            #expect(log.current.contains("embedder=lexical-v1"))
        }
    }

    @Test func adminTokenNeverAppearsInLogsOrResponses() async throws {
        let token = "tok-\(UUID().uuidString)"
        let log = LogBuffer()
        let bodies = try await ServedInProcess.run(
            ["--corpus", corpus, "--log-level", "trace"], environment: ["INTENT_ADMIN_TOKEN": token], log: log
        ) { port, log in
            try await log.waitFor("corpus loaded")
            let (wrong, wrongBody) = try await client.request(port, "/admin/reload", method: "POST", token: "nope")
            #expect(wrong == 401)
            let (right, rightBody) = try await client.request(port, "/admin/reload", method: "POST", token: token)
            #expect(right == 200)
            #expect(rightBody["status"] as? String == "reloaded")
            return "\(wrongBody)\(rightBody)"
        }
        #expect(log.current.contains("request received"), "the log is at trace level")
        #expect(!log.current.contains(token))
        #expect(!bodies.contains(token))
    }

    /// The console driven in a real browser (CI installs chromium), as a support lead uses it:
    /// signed in from the URL fragment, the overview's charts drawn from /v1/stats, a message
    /// tried, a review cluster assigned to an entry; then `/match` answers the new paraphrase.
    @Test(.enabled(if: HeadlessBrowser.enabled, HeadlessBrowser.skipReason))
    func theConsoleTeachesTheBotInAHeadlessBrowser() async throws {
        let chromium = try #require(HeadlessBrowser.path, "no chromium: .ci/run installs it, and under CI the check must run")
        let folder = try TemporaryDirectory("console")
        defer { withExtendedLifetime(folder) {} }
        let dir = folder.path
        let token = "console-\(UUID().uuidString.prefix(8))"
        try await ServedInProcess.run(
            ["--corpus", corpus, "--embedder", "lexical"], environment: ["INTENT_CONSOLE_TOKEN": token, "INTENT_STATE": "sqlite:\(dir)/state.sqlite"]
        ) { port, log in
            try await log.waitFor("corpus loaded")
            _ = try await client.request(port, "/match", method: "POST", body: ["message": "where is my parcel?"])
            for (i, message) in ["is bitcoin accepted", "bitcoin accepted?", "do you accept bitcoin at all"].enumerated() {
                let (_, decision) = try await client.request(port, "/match", method: "POST", body: ["message": message, "customer_id": "c\(i)"])
                #expect(decision["id"] as? String != "payment_methods", "the sample corpus does not know bitcoin yet")
            }
            let steps: [[String: Any]] = [
                [
                    "until":
                        "document.getElementById('signin').hidden && document.querySelectorAll('#timeline rect').length > 0 && document.getElementById('entries').textContent.includes('track_order')"
                ],
                [
                    "eval":
                        "document.getElementById('tab-try').click(); document.getElementById('message').value = 'where is my parcel?'; document.getElementById('try-form').requestSubmit(); true"
                ],
                [
                    "until":
                        "document.getElementById('decision').textContent.includes('Candidates') && document.getElementById('decision').textContent"
                ],
                ["eval": "document.getElementById('tab-review').click(); true"],
                ["until": "document.querySelectorAll('article.cluster').length"],
                [
                    "eval":
                        "document.getElementById('editor-name').value = 'Lena'; document.getElementById('assign-0').value = 'payment_methods'; document.querySelector('article.cluster [data-action=assign]').click(); true"
                ],
                [
                    "until":
                        "document.querySelector('article.cluster[data-done]') && document.querySelector('article.cluster [role=status]').textContent"
                ],
                ["eval": "document.getElementById('tab-corpus').click(); true"],
                ["until": "document.querySelector('[data-answer-save=shipping_countries]') !== null"],
                [
                    "eval":
                        "document.querySelector('[data-answer-language=shipping_countries]').value = 'es'; document.querySelector('[data-answer-text=shipping_countries]').value = 'Enviamos a más de 50 países.'; document.querySelector('[data-answer-save=shipping_countries]').click(); true"
                ],
                ["until": "[...document.querySelectorAll('#corpus-entries [role=status]')].map(x => x.textContent).find(t => t.startsWith('Done'))"],
            ]
            let stepsFile = dir + "/steps.json"
            try JSONSerialization.data(withJSONObject: steps).write(to: URL(fileURLWithPath: stepsFile))
            let run = try await ChildProcess.run(
                URL(fileURLWithPath: "/usr/bin/env"),
                ["python3", FakeProviderProcess.browserScript.path, chromium, "http://127.0.0.1:\(port)/console#token=\(token)", stepsFile])
            #expect(run.status == 0, "\(run.output)")
            let lines = run.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect((lines.first(where: { $0["step"] as? Int == 6 })?["value"] as? String)?.hasPrefix("Done: edit 1") == true, "\(run.output)")
            #expect((lines.last?["value"] as? String)?.hasPrefix("Done: edit 2") == true, "\(run.output)")
            let (_, spanish) = try await client.request(
                port, "/match", method: "POST", body: ["message": "which countries do you ship to", "language": "es"])
            #expect(spanish["answer"] as? String == "Enviamos a más de 50 países." && spanish["answer_language"] as? String == "es")
            #expect((lines.first(where: { $0["step"] as? Int == 2 })?["value"] as? String)?.contains("track_order") == true)
            let (_, decision) = try await client.request(port, "/match", method: "POST", body: ["message": "is bitcoin accepted"])
            #expect(decision["status"] as? String == "matched" && decision["id"] as? String == "payment_methods")
            let (_, edits) = try await client.request(port, "/v1/edits", token: token)
            #expect(((edits["edits"] as? [[String: Any]])?.first?["by"] as? String) == "Lena")
            #expect(!log.current.contains(token), "the token is never logged")
        }
    }

    /// Edits live in the state store: a restart serves them again, from an index store only their
    /// new paraphrases are embedded, and `export` writes corpus files (and out-of-scope questions) with them.
    @Test func consoleEditsSurviveARestartAndAreExported() async throws {
        let folder = try TemporaryDirectory("edits")
        defer { withExtendedLifetime(folder) {} }
        let dir = folder.path
        let cli = MatchCommandTests()
        let store = "sqlite:\(dir)/index.sqlite", state = "sqlite:\(dir)/state.sqlite"
        #expect(try await cli.run(["import", "corpus", "--store", store, "--embedder", "lexical"]).status == 0)
        let environment = ["INTENT_ADMIN_TOKEN": "edit-admin", "INTENT_STATE": state]
        try await ServedInProcess.run(["--store", store], environment: environment) { port, log in
            try await log.waitFor("corpus loaded")
            let (created, _) = try await client.request(
                port, "/v1/entries", method: "POST",
                body: ["id": "crypto", "questions": ["do you take bitcoin", "crypto payments?"], "answer": "Not yet."],
                token: "edit-admin")
            #expect(created == 201)
            _ = try await client.request(port, "/match", method: "POST", body: ["message": "qwzx vbnm plork"])
            let (_, review) = try await client.request(port, "/v1/review", token: "edit-admin")
            let cluster = try #require((review["clusters"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await client.request(port, "/v1/review/\(cluster)/dismiss", method: "POST", token: "edit-admin").0 == 200)
            let (answered, _) = try await client.request(
                port, "/v1/entries/crypto/answers/es", method: "PUT", body: ["answer": "Todavía no."], token: "edit-admin")
            #expect(answered == 200)
        }

        try await ServedInProcess.run(["--store", store], environment: environment) { port, log in
            try await log.waitFor("corpus loaded")
            let (_, decision) = try await client.request(port, "/match", method: "POST", body: ["message": "do you take bitcoin?"])
            #expect(decision["id"] as? String == "crypto")
            let (_, spanish) = try await client.request(port, "/match", method: "POST", body: ["message": "do you take bitcoin?", "language": "es"])
            #expect(spanish["answer"] as? String == "Todavía no.", "the answer edit is replayed after a restart")
            // The dismissed message is now an example of the out-of-scope entry made for it.
            let (_, dismissed) = try await client.request(port, "/match", method: "POST", body: ["message": "qwzx vbnm plork!"])
            #expect(dismissed["status"] as? String == "unmatched" && dismissed["out_of_scope"] as? String == "not_ours")
            let (_, ready) = try await client.request(port, "/readyz")
            #expect(ready["entries"] as? Int == 45, "crypto, and not_ours with the example")
        }

        let out = dir + "/out"
        #expect(try await cli.run(["export", "--store", store, "--state", state, "--output", out]).status == 0)
        let faq = try String(contentsOfFile: out + "/faq.jsonl", encoding: .utf8)
        #expect(faq.contains(#""answer":{"default":"Not yet.","es":"Todavía no."},"id":"crypto""#), "\(faq)")
        // The sample corpus's answers by language are written back as the loader reads them.
        #expect(faq.contains(#""answer":{"en":"Send us your order number"#))
        #expect(faq.contains(#""id":"not_ours""#) && faq.contains("qwzx vbnm plork"))
        let negatives = try String(contentsOfFile: out + "/eval/out-of-scope.jsonl", encoding: .utf8)
        #expect(negatives == #"{"expected":null,"question":"qwzx vbnm plork"}"# + "\n")
        // Imported again, the exported corpus is what was served: the edits add nothing more.
        #expect(try await cli.run(["import", out, "--store", store, "--embedder", "lexical"]).status == 0)
        // An example is never counted as a labeled negative: it is turned away by construction.
        let onlyExamples = try await cli.run(["evaluate", "--store", store, "--questions", out + "/eval/out-of-scope.jsonl"])
        #expect(onlyExamples.status == 2 && onlyExamples.stderr.contains("no question left to evaluate"), "\(onlyExamples.stderr)")
        try (negatives + #"{"expected":null,"question":"what is the meaning of life"}"# + "\n").write(
            toFile: out + "/eval/out-of-scope.jsonl", atomically: true, encoding: .utf8)
        let evaluation = try await cli.run(["evaluate", "--store", store, "--questions", out + "/eval/out-of-scope.jsonl"])
        #expect(evaluation.status == 0, "\(evaluation.stdout + evaluation.stderr)")
        #expect(evaluation.stderr.contains("1 out-of-scope question is an example of an out-of-scope entry and not counted"))
    }
}
