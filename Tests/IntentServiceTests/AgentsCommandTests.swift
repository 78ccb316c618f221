import Foundation
import IntentChannels
import IntentSQLite
import IntentTestSupport
import Testing

/// `intent-service agents` through the binary, and a token it printed signing in to `serve`.
@Suite struct AgentsCommandTests {
    let cli = MatchCommandTests()
    let client = ServeCommandTests()

    @Test func aDisplayNameInAnyScriptIsKeptBesideTheName() async throws {
        let folder = try TemporaryDirectory("agents-display")
        defer { withExtendedLifetime(folder) {} }
        let state = ["--state", "sqlite:\(folder.path)/state.sqlite"]
        let added = try await cli.run(["agents", "add", "wang.fang", "--display-name", "王芳"] + state)
        #expect(added.status == 0 && added.stderr.contains("added 'wang.fang' (agent, shown as \"王芳\")"), "\(added.stderr)")
        #expect(try await cli.run(["agents", "add", "kim"] + state).status == 0)
        let refused = try await cli.run(["agents", "add", "li", "--display-name", "Li\u{202E}gnp"] + state)
        #expect(refused.status != 0 && refused.stderr.contains("display name"), "\(refused.stderr)")

        let lines = try await cli.run(["agents", "list"] + state).stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3 && lines[0].hasSuffix("DISPLAY NAME"), "\(lines)")
        #expect(lines[1].hasPrefix("kim") && lines[1].hasSuffix("never"), "nothing after an agent without one: \(lines)")
        #expect(lines[2].hasPrefix("wang.fang") && lines[2].hasSuffix("王芳"), "\(lines)")
        let json = try await cli.run(["agents", "list", "--json"] + state).stdout.split(separator: "\n")
        #expect(try cli.decode(try #require(json.last))["display_name"] as? String == "王芳")
        #expect(try cli.decode(try #require(json.first))["display_name"] == nil)
    }

    @Test func addsListsRotatesAndRemovesAgents() async throws {
        let folder = try TemporaryDirectory("agents-cli")
        defer { withExtendedLifetime(folder) {} }
        let state = ["--state", "sqlite:\(folder.path)/state.sqlite"]

        // The token alone on the last line of standard output; the words for people on stderr.
        let added = try await cli.run(["agents", "add", "Lena M.", "--role", "agent"] + state)
        #expect(added.status == 0, "\(added.stderr)")
        let token = try #require(added.stdout.split(separator: "\n").last.map(String.init))
        #expect(token.hasPrefix("ia_") && token.count == 46 && added.stdout == token + "\n")
        #expect(added.stderr.contains("added 'Lena M.' (agent)") && !added.stderr.contains(token))
        let viewer = try await cli.run(["agents", "add", "vic", "--role", "viewer"] + state)
        #expect(viewer.status == 0)

        // A name taken, a name that cannot be one, a role that is none: refused, saying why.
        let again = try await cli.run(["agents", "add", "Lena M.", "--role", "admin"] + state)
        #expect(again.status == 1 && again.stdout.isEmpty && again.stderr.contains("an agent named 'Lena M.' exists already"), "\(again.stderr)")
        let badName = try await cli.run(["agents", "add", "lena/root"] + state)
        #expect(badName.status != 0 && badName.stderr.contains("letters or digits"), "\(badName.stderr)")
        let badRole = try await cli.run(["agents", "add", "kim", "--role", "root"] + state)
        #expect(badRole.status != 0 && badRole.stderr.contains("--role must be viewer, agent or admin"), "\(badRole.stderr)")

        // Listed by name, never with a token.
        let list = try await cli.run(["agents", "list"] + state)
        #expect(list.status == 0)
        let lines = list.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3 && lines[0].hasPrefix("NAME") && lines[0].contains("LAST SEEN"), "\(list.stdout)")
        #expect(lines[1].hasPrefix("Lena M.  agent") && lines[1].hasSuffix("never"), "\(lines)")
        #expect(lines[2].hasPrefix("vic") && lines[2].contains("viewer"))
        #expect(!list.stdout.contains("ia_"))
        let json = try await cli.run(["agents", "list", "--json"] + state)
        let first = try cli.decode(try #require(json.stdout.split(separator: "\n").first))
        #expect(first["name"] as? String == "Lena M." && first["role"] as? String == "agent" && first["token"] == nil)

        // The token signs in to serve: the name and role it carries, and what the role may do.
        let serveArguments = ["--corpus", MatchCommandTests.root.path + "/corpus", "--embedder", "lexical"]
        let environment = ["INTENT_STATE": "sqlite:\(folder.path)/state.sqlite"]
        let viewerToken = try #require(viewer.stdout.split(separator: "\n").last.map(String.init))
        try await ServedInProcess.run(serveArguments, environment: environment) { port, log in
            try await log.waitFor("corpus loaded")
            let (status, me) = try await client.request(port, "/v1/me", token: token)
            #expect(status == 200 && me["name"] as? String == "Lena M." && me["role"] as? String == "agent")
            #expect(try await client.request(port, "/v1/review", token: viewerToken).0 == 200)
            let (refused, error) = try await client.request(
                port, "/v1/entries", method: "POST", body: ["id": "x", "questions": ["a"], "answer": "b"], token: viewerToken)
            #expect(refused == 403 && (error["error"] as? [String: Any])?["code"] as? String == "forbidden_role")
            #expect(try await client.request(port, "/v1/review").0 == 401)
            #expect(!log.current.contains(token) && !log.current.contains(viewerToken), "tokens never logged")
        }
        let seen = try await cli.run(["agents", "list"] + state)
        #expect(seen.stdout.split(separator: "\n")[1].hasSuffix("never") == false, "last seen by serve: \(seen.stdout)")

        // A new token; the old one is no longer the agent's.
        let rotated = try await cli.run(["agents", "token", "Lena M."] + state)
        #expect(rotated.status == 0, "\(rotated.stderr)")
        let newToken = try #require(rotated.stdout.split(separator: "\n").last.map(String.init))
        #expect(newToken.hasPrefix("ia_") && newToken != token)
        #expect(try await cli.run(["agents", "token", "nobody"] + state).status == 1)

        // Removed, once.
        #expect(try await cli.run(["agents", "remove", "Lena M."] + state).status == 0)
        let gone = try await cli.run(["agents", "remove", "Lena M."] + state)
        #expect(gone.status == 1 && gone.stderr.contains("no agent named 'Lena M.'"))
        #expect(try await cli.run(["agents", "list"] + state).stdout.split(separator: "\n").count == 2)
    }

    /// `--config` names the store as `serve` reads it: the file's `state` setting.
    @Test func theConfigFilesStateIsTheStore() async throws {
        let folder = try TemporaryDirectory("agents-config")
        defer { withExtendedLifetime(folder) {} }
        let config = folder.file("intent-service.yaml")
        try "state: sqlite:\(folder.path)/configured.sqlite\n".write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try await cli.run(["agents", "add", "kim", "--config", config]).status == 0)
        #expect(FileManager.default.fileExists(atPath: folder.path + "/configured.sqlite"))
        #expect(try await cli.run(["agents", "list", "--config", config]).stdout.contains("kim"))
    }
}

/// The console signed in with an agent's token, in headless Chromium: it says who is signed in
/// and hides what the role cannot do.
@Suite struct AgentConsoleBrowserTests {
    let client = ServeCommandTests()

    @Test(.enabled(if: HeadlessBrowser.enabled, HeadlessBrowser.skipReason))
    func theConsoleShowsWhoIsSignedInAndHidesWhatTheRoleCannotDo() async throws {
        let chromium = try #require(HeadlessBrowser.path, "no chromium: .ci/run installs it, and under CI the check must run")
        let folder = try TemporaryDirectory("agents-console")
        defer { withExtendedLifetime(folder) {} }
        let dir = folder.path
        let store = try SQLiteStateStore(path: dir + "/state.sqlite")
        let viewer = try await store.addAgent(named: "Vic", role: .viewer, at: Date()).token
        let agent = try await store.addAgent(named: "Lena", role: .agent, at: Date()).token
        try await ServedInProcess.run(
            ["--corpus", MatchCommandTests.root.path + "/corpus", "--embedder", "lexical"],
            environment: ["INTENT_STATE": "sqlite:\(dir)/state.sqlite"]
        ) { port, log in
            try await log.waitFor("corpus loaded")
            _ = try await client.request(port, "/match", method: "POST", body: ["message": "is bitcoin accepted"])
            // Hidden when the element, or the part of the page it sits in, is not displayed (`data-needs`).
            let hidden = "(s => !s || getComputedStyle(s.closest('[data-needs]') || s).display === 'none')"
            let steps: [[String: Any]] = [
                ["until": "document.getElementById('whoami').textContent"],
                ["eval": "document.getElementById('tab-review').click(); true"],
                ["until": "document.querySelectorAll('article.cluster').length"],
                [
                    "eval":
                        "[\(hidden)(document.querySelector('article.cluster [data-action=assign]')), \(hidden)(document.getElementById('editor-name'))].join(' ')"
                ],
                ["eval": "document.getElementById('tab-corpus').click(); true"],
                ["until": "document.querySelector('[data-answer-save=shipping_countries]') !== null"],
                ["eval": "String(\(hidden)(document.querySelector('[data-answer-save=shipping_countries]')))"],
            ]
            let stepsFile = dir + "/steps.json"
            try JSONSerialization.data(withJSONObject: steps).write(to: URL(fileURLWithPath: stepsFile))
            for (token, who, actions) in [(viewer, "signed in as Vic (viewer)", "true true"), (agent, "signed in as Lena (agent)", "false true")] {
                let run = try await ChildProcess.run(
                    URL(fileURLWithPath: "/usr/bin/env"),
                    ["python3", FakeProviderProcess.browserScript.path, chromium, "http://127.0.0.1:\(port)/console#token=\(token)", stepsFile])
                #expect(run.status == 0, "\(run.output)")
                let values = run.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                    .reduce(into: [Int: String]()) { $0[$1["step"] as? Int ?? -1] = $1["value"].map { "\($0)" } }
                #expect(values[0] == who, "\(run.output)")
                #expect(values[3] == actions, "the review actions and the name box (a viewer sees neither; an agent signs with their name)")
                #expect(values[6] == "true", "answers are the admins' to edit")
            }
        }
    }
}
