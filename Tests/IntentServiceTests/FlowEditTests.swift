import Foundation
import IntentChannels
import IntentSQLite
import IntentTestSupport
import Testing

/// The console's flow builder routes as `serve` serves them: the document in service, validation
/// as the flow file is validated, a save stored with who and when and served by a reload, a
/// restart serving it again, and `export` writing it to `flows.yaml`.
@Suite struct FlowEditTests {
    let client = ServeCommandTests()
    static let corpus = MatchCommandTests.root.path + "/corpus"
    static let token = "flows-\(UUID().uuidString.prefix(8))"

    /// A two-step flow as the console sends it: JSON text.
    static let twoSteps = """
        {
          "flows": {
            "greet": {
              "name": "Greeting",
              "trigger": {"keyword": ["flowtest"]},
              "start": "ask_name",
              "steps": {
                "ask_name": {"ask": "What is your name?", "save": "name", "next": "thanks"},
                "thanks": {"say": "Thanks {{name}}!", "end": true}
              }
            }
          }
        }
        """

    @Test func validatesSavesServesAndExportsTheConsolesFlows() async throws {
        let folder = try TemporaryDirectory("flow-edits")
        defer { withExtendedLifetime(folder) {} }
        let dir = folder.path
        let environment = ["INTENT_CONSOLE_TOKEN": Self.token, "INTENT_STATE": "sqlite:\(dir)/state.sqlite"]
        let token = Self.token
        try await ServedInProcess.run(["--corpus", Self.corpus, "--embedder", "lexical"], environment: environment) { port, log in
            try await log.waitFor("corpus loaded")
            // The flow file in service, as text and as JSON that reads back as the same flows.
            let (status, document) = try await client.request(port, "/v1/flows/document", token: token)
            #expect(status == 200 && document["source"] as? String == "file" && document["edit"] == nil)
            let fileText = try String(contentsOfFile: Self.corpus + "/flows.yaml", encoding: .utf8)
            #expect(document["text"] as? String == fileText)
            let json = try #require(document["json"] as? String)
            #expect(try FlowFile.parse(json, file: "flows.yaml").flows.map(\.id) == ["order_status", "wholesale_lead", "recommend"])
            #expect(try await client.request(port, "/v1/flows/document").0 == 401, "the console's token is needed")

            // Validation reports as the file would be reported, with the corpus's rules and lines.
            let broken = Self.twoSteps.replacingOccurrences(of: #""next": "thanks""#, with: #""next": "nowhere""#)
                .replacingOccurrences(of: "flowtest", with: "人工")
            let (checked, result) = try await client.request(port, "/v1/flows/validate", method: "POST", body: ["text": broken], token: token)
            #expect(checked == 200 && result["valid"] as? Bool == false)
            let problems = try #require(result["problems"] as? [String])
            #expect(
                problems.contains("flows.yaml:8: flows.greet.steps.ask_name: 'nowhere' is not a step of the flow; steps: ask_name, thanks"),
                "\(problems)")
            #expect(
                problems.contains { $0.contains("flows.greet.trigger.keyword: '人工' is already claimed by the rule 'human_handover'") }, "\(problems)")
            let (fine, good) = try await client.request(port, "/v1/flows/validate", method: "POST", body: ["text": Self.twoSteps], token: token)
            #expect(
                fine == 200 && good["valid"] as? Bool == true && good["flows"] as? [String] == ["greet"]
                    && (good["problems"] as? [String])?.isEmpty == true)
            #expect(try await client.request(port, "/v1/flows/validate", method: "POST", body: ["texts": "x"], token: token).0 == 400)

            // An invalid save stores nothing.
            let (refused, error) = try await client.request(port, "/v1/flows/document", method: "PUT", body: ["text": broken], token: token)
            #expect(refused == 422)
            let details = error["error"] as? [String: Any]
            #expect(details?["code"] as? String == "invalid_flows" && (details?["issues"] as? [String]) == problems)
            let stateFile = dir + "/state.sqlite"
            if FileManager.default.fileExists(atPath: stateFile) {
                #expect(try await SQLiteStateStore(path: stateFile).latestFlows() == nil)
            }

            // A valid save is stored with who, and served by a reload before the reply.
            let (saved, edit) = try await client.request(
                port, "/v1/flows/document", method: "PUT", body: ["text": Self.twoSteps, "by": "Lena"], token: token)
            #expect(saved == 200, "\(edit)")
            #expect(edit["flows"] as? [String] == ["greet"])
            let stored = try #require(edit["edit"] as? [String: Any])
            #expect(stored["number"] as? Int == 1 && stored["by"] as? String == "Lena" && (stored["at"] as? String)?.hasSuffix("Z") == true)
            let (_, served) = try await client.request(port, "/v1/flows/document", token: token)
            #expect(served["source"] as? String == "edit" && served["text"] as? String == Self.twoSteps)
            #expect((served["edit"] as? [String: Any])?["number"] as? Int == 1)
            try await log.waitFor("flows: serving the console's edit #1 of ")
            #expect(log.current.contains("by Lena"))
            // Without "by", the token's role signs it.
            let (again, second) = try await client.request(port, "/v1/flows/document", method: "PUT", body: ["text": Self.twoSteps], token: token)
            #expect(again == 200 && (second["edit"] as? [String: Any])?["by"] as? String == "console token")
        }

        // A restart serves the stored document instead of the file.
        try await ServedInProcess.run(["--corpus", Self.corpus, "--embedder", "lexical"], environment: environment) { port, log in
            try await log.waitFor("corpus loaded")
            try await log.waitFor("flows: serving the console's edit #2 of ")
            let (_, served) = try await client.request(port, "/v1/flows/document", token: token)
            #expect(served["source"] as? String == "edit")
        }

        // export writes the document in service; it loads back as the same flows.
        let cli = MatchCommandTests()
        let out = dir + "/out"
        let exported = try await cli.run(["export", "--corpus", Self.corpus, "--state", "sqlite:\(dir)/state.sqlite", "--output", out])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stderr.contains("flows (console edit #2 by console token) to \(out)/flows.yaml"), "\(exported.stderr)")
        #expect(try String(contentsOfFile: out + "/flows.yaml", encoding: .utf8) == Self.twoSteps)
        #expect(try FlowFile.load(path: out + "/flows.yaml").flows.map(\.id) == ["greet"])
        // Evaluated against the exported corpus, the exported flows pass the same checks.
        #expect(try await cli.run(["match", "--corpus", out, "--embedder", "lexical", "where is my parcel?"]).status == 0)

        // With no saved flows, the flow file beside the corpus is exported as it is.
        let plain = dir + "/plain"
        let copied = try await cli.run(["export", "--corpus", Self.corpus, "--state", "sqlite:\(dir)/none.sqlite", "--output", plain])
        #expect(copied.status == 0, "\(copied.stderr)")
        #expect(
            try String(contentsOfFile: plain + "/flows.yaml", encoding: .utf8) == String(contentsOfFile: Self.corpus + "/flows.yaml", encoding: .utf8)
        )
    }

    /// A state file deleted while serving would take a save with it: 503, and the flows in service stay.
    @Test func aSaveToALostStateStoreIsRefused() async throws {
        let folder = try TemporaryDirectory("flow-edits-lost")
        defer { withExtendedLifetime(folder) {} }
        let dir = folder.path
        let environment = ["INTENT_CONSOLE_TOKEN": Self.token, "INTENT_STATE": "sqlite:\(dir)/state.sqlite"]
        let token = Self.token
        try await ServedInProcess.run(["--corpus", Self.corpus, "--embedder", "lexical"], environment: environment) { port, log in
            try await log.waitFor("corpus loaded")
            let (saved, _) = try await client.request(port, "/v1/flows/document", method: "PUT", body: ["text": Self.twoSteps], token: token)
            #expect(saved == 200)
            try FileManager.default.removeItem(atPath: dir + "/state.sqlite")
            let other = Self.twoSteps.replacingOccurrences(of: "flowtest", with: "othertest")
            let (refused, error) = try await client.request(port, "/v1/flows/document", method: "PUT", body: ["text": other], token: token)
            #expect(refused == 503 && (error["error"] as? [String: Any])?["code"] as? String == "store_unavailable", "\(error)")
            let (_, served) = try await client.request(port, "/v1/flows/document", token: token)
            #expect(served["text"] as? String == Self.twoSteps)
        }
    }
}

/// The Flows tab driven in headless Chromium: a two-step flow built in the page from blocks,
/// validated and saved; then a signed WhatsApp webhook with its keyword runs it against the fake
/// Graph API. Also measures how long a save takes to reach the next webhook.
@Suite(.serialized) struct FlowConsoleBrowserTests {
    let client = ServeCommandTests()

    @Test(.enabled(if: HeadlessBrowser.enabled, HeadlessBrowser.skipReason))
    func aFlowBuiltInTheConsoleRunsOnWhatsApp() async throws {
        let chromium = try #require(HeadlessBrowser.path, "no chromium: .ci/run installs it, and under CI the check must run")
        let setup = try await WhatsAppServeTests.setUp()
        let graph = setup.graph.port
        let token = WhatsAppServeTests.consoleToken
        try await ServedInProcess.run(["--corpus", FlowEditTests.corpus, "--embedder", "lexical"], environment: setup.environment()) {
            port, log in
            try await log.waitFor("corpus loaded")
            let put =
                "window.put = (sel, v) => { const e = document.querySelector(sel); e.value = v; e.dispatchEvent(new Event(e.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true })); return v; }; true"
            let steps: [[String: Any]] = [
                ["until": "document.getElementById('signin').hidden"],
                ["eval": "document.getElementById('tab-flows').click(); true"],
                [
                    "until":
                        "flowDoc !== null && document.getElementById('flow-pick').options.length === 3 && document.querySelectorAll('#flow-diagram g[data-step]').length"
                ],
                ["eval": put],
                [
                    "eval":
                        "document.getElementById('editor-name').value = 'Lena'; document.getElementById('flow-new-id').value = 'greet'; document.getElementById('flow-new').click(); put('#flow-trigger-value', 'flowtest'); document.getElementById('step-new-id').value = 'ask_name'; document.getElementById('step-new-kind').value = 'ask'; document.getElementById('step-add').click(); document.getElementById('step-new-id').value = 'thanks'; document.getElementById('step-new-kind').value = 'say'; document.getElementById('step-add').click(); document.querySelectorAll('#flow-steps fieldset.step').length"
                ],
                // Saved before the question has a next step: refused, with the problem shown, nothing stored.
                ["eval": "document.getElementById('flows-save').click(); true"],
                [
                    "until":
                        "document.getElementById('flows-status').textContent.startsWith('Not saved') && [...document.querySelectorAll('#flows-problems li')].map(li => li.textContent).join(' | ')"
                ],
                [
                    "eval":
                        "put('[data-step=ask_name][data-field=ask]', 'What is your name?'); put('[data-step=ask_name][data-field=save]', 'name'); put('[data-step=ask_name][data-field=next]', 'thanks'); put('[data-step=thanks][data-field=say]', 'Thanks {{name}}!'); document.getElementById('flows-validate').click(); [...document.querySelectorAll('#flow-diagram g[data-step]')].map(g => g.dataset.step).join(',') + '|' + document.querySelectorAll('#flow-diagram [data-edge=next]').length"
                ],
                [
                    "until":
                        "document.getElementById('flows-status').textContent.startsWith('Valid') && document.getElementById('flows-status').textContent"
                ],
                ["eval": "document.getElementById('flows-save').click(); true"],
                [
                    "until":
                        "document.getElementById('flows-status').textContent.startsWith('Saved') && document.getElementById('flows-status').textContent"
                ],
                [
                    "until":
                        "document.getElementById('flows-source').textContent.includes('edit 1 by Lena') && document.getElementById('flows-source').textContent"
                ],
            ]
            let stepsFile = setup.directory + "/steps.json"
            try JSONSerialization.data(withJSONObject: steps).write(to: URL(fileURLWithPath: stepsFile))
            let run = try await ChildProcess.run(
                URL(fileURLWithPath: "/usr/bin/env"),
                ["python3", FakeProviderProcess.browserScript.path, chromium, "http://127.0.0.1:\(port)/console#token=\(token)", stepsFile])
            // Without the page's save nothing below can pass: stop here rather than wait for it.
            try #require(run.status == 0, "\(run.output)")
            let lines = run.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            func value(_ step: Int) -> String? { lines.first { $0["step"] as? Int == step }?["value"] as? String }
            #expect(value(6)?.contains("flows.greet.steps.ask_name.next: missing") == true, "\(run.output)")
            #expect(value(7) == "ask_name,thanks|1", "the diagram redrew with both steps and the arrow between them: \(run.output)")
            try #require(value(10)?.hasPrefix("Saved: edit 1; serving 4 flows") == true, "\(run.output)")

            // A signed webhook with the keyword runs the new flow.
            let customer = "8613900000501"
            let body = WhatsAppServeTests.body(id: "wamid.C1", from: customer, text: "flowtest")
            #expect(try await WhatsAppServeTests().post(port, body, signature: WhatsAppServeTests.signed(body)) == 200)
            try await WhatsAppServeTests.settle(setup)
            let seen = try await FlowServeTests.seen(graph, by: customer)
            #expect(seen.contains("What is your name?"), "\(seen)")
            let answer = WhatsAppServeTests.body(id: "wamid.C2", from: customer, text: "Kerry")
            #expect(try await WhatsAppServeTests().post(port, answer, signature: WhatsAppServeTests.signed(answer)) == 200)
            try await WhatsAppServeTests.settle(setup)
            #expect(try await FlowServeTests.seen(graph, by: customer).last == "Thanks Kerry!")

            // Save to run: a new version saved, then at once a webhook, until its question is sent.
            let (_, document) = try await client.request(port, "/v1/flows/document", token: token)
            let text = try #require(document["text"] as? String).replacingOccurrences(of: "What is your name?", with: "What should we call you?")
            var timings: [Double] = []
            for round in 0..<3 {
                let version = text.replacingOccurrences(of: "call you?", with: "call you (\(round))?")
                let started = ContinuousClock.now
                let (saved, _) = try await client.request(port, "/v1/flows/document", method: "PUT", body: ["text": version], token: token)
                #expect(saved == 200)
                let someone = "86139000006\(round)0"
                let hello = WhatsAppServeTests.body(id: "wamid.T\(round)", from: someone, text: "flowtest")
                #expect(try await WhatsAppServeTests().post(port, hello, signature: WhatsAppServeTests.signed(hello)) == 200)
                try await eventually("the new question is sent") {
                    try await FlowServeTests.seen(graph, by: someone).contains("What should we call you (\(round))?")
                }
                let elapsed = ContinuousClock.now - started
                timings.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            }
            // A customer who stops at the question leaves there: the diagram marks the step.
            let stop = WhatsAppServeTests.body(id: "wamid.S1", from: "86139000006" + "00", text: "stop")
            #expect(try await WhatsAppServeTests().post(port, stop, signature: WhatsAppServeTests.signed(stop)) == 200)
            try await WhatsAppServeTests.settle(setup)
            let look: [[String: Any]] = [
                ["until": "document.getElementById('signin').hidden"],
                ["eval": "document.getElementById('tab-flows').click(); true"],
                ["until": "flowDoc !== null && Object.keys(flowFigures).includes('greet')"],
                [
                    "eval":
                        "flowPick = 'greet'; drawBuilder(); drawFlow(); const marked = document.querySelector('#flow-diagram g[data-most-left]'); (marked ? marked.dataset.step : 'none') + '|' + document.getElementById('flow-diagram').textContent"
                ],
            ]
            try JSONSerialization.data(withJSONObject: look).write(to: URL(fileURLWithPath: stepsFile))
            let second = try await ChildProcess.run(
                URL(fileURLWithPath: "/usr/bin/env"),
                ["python3", FakeProviderProcess.browserScript.path, chromium, "http://127.0.0.1:\(port)/console#token=\(token)", stepsFile])
            #expect(second.status == 0, "\(second.output)")
            let drawn =
                second.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .first { $0["step"] as? Int == 3 }?["value"] as? String ?? ""
            #expect(drawn.hasPrefix("ask_name|"), "\(second.output)")
            // Four runs entered the question, one answered it: 25% took the arrow to the thanks (which completes, so it is not marked).
            #expect(drawn.contains("entered 4 · customers 4 · left 1 · most leave here") && drawn.contains("next 25.0%"), "\(drawn)")
            print("flows save-to-run seconds: \(timings.map { String(format: "%.3f", $0) }.joined(separator: ", "))")
            #expect(timings.allSatisfy { $0 < 10 }, "\(timings)")
        }
    }
}
