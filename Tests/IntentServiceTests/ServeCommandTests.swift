import Foundation
import Glibc
import IntentCore
import IntentTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `intent-service serve` as a real process: start-up, SIGHUP reload, graceful SIGTERM.
@Suite(.serialized) struct ServeCommandTests {
    /// A running server and everything it printed so far.
    final class LogBuffer: Sendable {
        let text = Locked("")
        func append(_ data: Data) { text.withLock { $0 += String(decoding: data, as: UTF8.self) } }
    }

    final class ServerProcess {
        let process: Process
        let output = LogBuffer()

        init(arguments: [String], environment: [String: String] = [:]) throws {
            process = Process()
            process.executableURL = MatchCommandTests.binary
            process.arguments = ["serve", "--port", "0"] + arguments
            process.currentDirectoryURL = MatchCommandTests.root
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            pipe.fileHandleForReading.readabilityHandler = { [output] handle in
                output.append(handle.availableData)
            }
            try process.run()
        }

        var log: String { output.text.withLock { $0 } }

        /// Waits until the log contains `text`, or the process has exited without printing it.
        /// The deadline is only a safety net against a hang: start-up loads two sentence models
        /// and embeds the corpus, which under a full parallel test run on two cores has taken
        /// over 20 s (the old fixed wait, which failed a first run on a fresh clone).
        func waitFor(_ text: String, seconds: Double = 180) async throws -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if log.contains(text) { return true }
                if !process.isRunning {
                    try await Task.sleep(for: .milliseconds(100))  // the pipe's last bytes
                    return log.contains(text)
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            return false
        }

        /// The port from the "listening" log line.
        func port() async throws -> Int {
            #expect(try await waitFor("address="))
            let line = try #require(log.split(separator: "\n").first { $0.contains("address=") })
            let address = try #require(line.split(separator: " ").first { $0.hasPrefix("address=") })
            return try #require(Int(address.split(separator: ":").last ?? ""))
        }

        func stop() {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
    }

    func request(
        _ port: Int, _ path: String, method: String = "GET", body: [String: Any]? = nil, token: String? = nil
    )
        async throws -> (Int, [String: Any])
    {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let object = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        return ((response as! HTTPURLResponse).statusCode, object)
    }

    @Test func servesReloadsOnHangupAndStopsGracefully() async throws {
        let server = try ServerProcess(arguments: ["--corpus", "corpus"])
        defer { server.stop() }
        let port = try await server.port()
        #expect(try await server.waitFor("corpus loaded"))
        let (ready, readiness) = try await request(port, "/readyz")
        #expect(ready == 200)
        #expect(readiness["entries"] as? Int ?? 0 >= 40)

        let (status, decision) = try await request(port, "/match", method: "POST", body: ["message": "我想把钱要回来"])
        #expect(status == 200)
        #expect(decision["id"] as? String == "refund_request")
        // Asked again: answered from the decision memory, the same answer, counted in /metrics.
        let (_, again) = try await request(port, "/match", method: "POST", body: ["message": "我想把钱要回来"])
        #expect(again["id"] as? String == "refund_request")
        #expect(again["score"] as? Double == decision["score"] as? Double)
        let (metricsData, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        let metrics = String(decoding: metricsData, as: UTF8.self)
        #expect(metrics.contains("intent_decision_cache_hits 1.0"), "\(metrics.split(separator: "\n").filter { $0.contains("decision_cache") })")

        kill(server.process.processIdentifier, SIGHUP)
        #expect(try await server.waitFor("SIGHUP: reloading"))
        let reloads = { server.log.components(separatedBy: "corpus loaded").count - 1 }
        let deadline = Date().addingTimeInterval(120)  // a safety net: the loop ends at the second load
        while reloads() < 2 && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(reloads() == 2)

        // A request in flight when SIGTERM arrives (its head sent, its body not yet) still gets
        // its answer; then the process exits 0.
        let body = Array(#"{"message": "where is my parcel?"}"#.utf8)
        let connection = try RawConnection(port: port)
        try connection.send(
            Array(
                "POST /match HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
                    .utf8))
        try connection.send(Array(body.prefix(10)))
        try await Task.sleep(for: .milliseconds(200))
        server.process.terminate()
        try await Task.sleep(for: .milliseconds(200))
        try connection.send(Array(body.dropFirst(10)))
        let response = connection.readAll()
        #expect(response.hasPrefix("HTTP/1.1 200"), "\(response)")
        #expect(response.contains("track_order"))
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0)
        #expect(try await server.waitFor("stopped", seconds: 5))
    }

    @Test func statisticsSurviveARestartWhenServingFromAStore() async throws {
        let dir = NSTemporaryDirectory() + "intent-stats-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = "sqlite:\(dir)/index.sqlite"
        #expect(try await MatchCommandTests().run(["import", "corpus", "--store", store, "--embedder", "lexical", "--quiet"]).status == 0)

        let token = ["INTENT_STATS_TOKEN": "stats-\(UUID().uuidString)"]
        let first = try ServerProcess(arguments: ["--store", store], environment: token)
        defer { first.stop() }
        let port = try await first.port()
        #expect(try await first.waitFor("corpus loaded"))
        for message in ["我想把钱要回来", "where is my parcel?", "转人工", "tell me a joke"] {
            #expect(try await request(port, "/match", method: "POST", body: ["message": message]).0 == 200)
        }
        let (_, before) = try await request(port, "/v1/stats", token: token["INTENT_STATS_TOKEN"])
        #expect(before["total"] as? Int == 4)
        first.stop()  // SIGTERM: the last batch is written on the way out
        first.process.waitUntilExit()
        #expect(first.process.terminationStatus == 0)

        let second = try ServerProcess(arguments: ["--store", store], environment: token)
        defer { second.stop() }
        let port2 = try await second.port()
        #expect(try await second.waitFor("corpus loaded"))
        #expect(try await request(port2, "/match", method: "POST", body: ["message": "where is my parcel?"]).0 == 200)
        let (_, after) = try await request(port2, "/v1/stats", token: token["INTENT_STATS_TOKEN"])
        #expect(after["total"] as? Int == 5)
        #expect(after["since"] as? String == before["since"] as? String)
        #expect((after["hits_by_faq"] as? [String: Int])?["track_order"] == 2)
        #expect((after["hits_by_rule"] as? [String: Int])?["human_handover"] == 1)
        let unmatched = (after["recent_unmatched"] as? [[String: Any]])?.compactMap { $0["message"] as? String }
        #expect(unmatched == ["tell me a joke"])
    }

    @Test func withoutTheModelTheStartUpLogSaysHowToGetIt() async throws {
        let server = try ServerProcess(arguments: [
            "--corpus", "corpus", "--model", "/nonexistent/minilm", "--multilingual-model", "/nonexistent/e5",
        ])
        defer { server.stop() }
        #expect(try await server.waitFor("corpus loaded"))
        #expect(try await server.waitFor("no multilingual model at /nonexistent/e5; scripts/model fetches multilingual-e5-small"))
        #expect(server.log.contains("embedder=lexical-v1"))
    }

    @Test func adminTokenNeverAppearsInLogsOrResponses() async throws {
        let token = "tok-\(UUID().uuidString)"
        let server = try ServerProcess(arguments: ["--corpus", "corpus", "--log-level", "trace"], environment: ["INTENT_ADMIN_TOKEN": token])
        defer { server.stop() }
        let port = try await server.port()
        #expect(try await server.waitFor("corpus loaded"))
        let (wrong, wrongBody) = try await request(port, "/admin/reload", method: "POST", token: "nope")
        #expect(wrong == 401)
        let (right, rightBody) = try await request(port, "/admin/reload", method: "POST", token: token)
        #expect(right == 200)
        #expect(rightBody["status"] as? String == "reloaded")
        server.stop()
        #expect(!server.log.contains(token))
        #expect(!"\(wrongBody)\(rightBody)".contains(token))
    }

    @Test func slowClientsAreCutOffByTheIdleAndBodyTimeouts() async throws {
        let server = try ServerProcess(
            arguments: ["--corpus", "corpus", "--embedder", "lexical"],
            environment: ["INTENT_IDLE_TIMEOUT_MS": "1500", "INTENT_BODY_TIMEOUT_MS": "300"])
        defer { server.stop() }
        let port = try await server.port()
        #expect(try await server.waitFor("corpus loaded"))
        // Connected, silent: closed by the server (readAll returns at the close, not at its 60 s safety net).
        let silent = try RawConnection(port: port)
        let started = Date()
        #expect(silent.readAll().isEmpty)
        #expect(Date().timeIntervalSince(started) < 50)
        // Headers dribbled and never finished: closed too.
        let dribbling = try RawConnection(port: port)
        try dribbling.send(Array("POST /match HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8))
        #expect(dribbling.readAll().isEmpty)
        // A body that stops halfway: 408 request_timeout, then the close.
        let slowBody = try RawConnection(port: port)
        try slowBody.send(
            Array("POST /match HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"message\"".utf8))
        let answer = slowBody.readAll()
        #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer)")
        #expect(answer.contains("request_timeout"))
        // The service still answers others.
        let (status, decision) = try await request(port, "/match", method: "POST", body: ["message": "where is my parcel?"])
        #expect(status == 200)
        #expect(decision["id"] as? String == "track_order")
    }

    /// The console driven in a real browser (CI installs chromium), as a support lead uses it:
    /// signed in from the URL fragment, the overview's charts drawn from /v1/stats, a message
    /// tried, a review cluster assigned to an entry; then `/match` answers the new paraphrase.
    @Test(.enabled(if: HeadlessBrowser.enabled, HeadlessBrowser.skipReason))
    func theConsoleTeachesTheBotInAHeadlessBrowser() async throws {
        let chromium = try #require(HeadlessBrowser.path, "no chromium: .ci/run installs it, and under CI the check must run")
        let dir = NSTemporaryDirectory() + "intent-console-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let token = "console-\(UUID().uuidString.prefix(8))"
        let server = try ServerProcess(
            arguments: ["--corpus", "corpus", "--embedder", "lexical"],
            environment: ["INTENT_CONSOLE_TOKEN": token, "INTENT_STATE": "sqlite:\(dir)/state.sqlite"])
        defer { server.stop() }
        let port = try await server.port()
        #expect(try await server.waitFor("corpus loaded"))
        _ = try await request(port, "/match", method: "POST", body: ["message": "where is my parcel?"])
        for (i, message) in ["is bitcoin accepted", "bitcoin accepted?", "do you accept bitcoin at all"].enumerated() {
            let (_, decision) = try await request(port, "/match", method: "POST", body: ["message": message, "customer_id": "c\(i)"])
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
            ["until": "document.getElementById('decision').textContent.includes('Candidates') && document.getElementById('decision').textContent"],
            ["eval": "document.getElementById('tab-review').click(); true"],
            ["until": "document.querySelectorAll('article.cluster').length"],
            [
                "eval":
                    "document.getElementById('editor-name').value = 'Lena'; document.getElementById('assign-0').value = 'payment_methods'; document.querySelector('article.cluster [data-action=assign]').click(); true"
            ],
            ["until": "document.querySelector('article.cluster[data-done]') && document.querySelector('article.cluster [role=status]').textContent"],
        ]
        let stepsFile = dir + "/steps.json"
        try JSONSerialization.data(withJSONObject: steps).write(to: URL(fileURLWithPath: stepsFile))
        let run = try await ChildProcess.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["python3", FakeProviderProcess.browserScript.path, chromium, "http://127.0.0.1:\(port)/console#token=\(token)", stepsFile])
        #expect(run.status == 0, "\(run.output)")
        let lines = run.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect((lines.last?["value"] as? String)?.hasPrefix("Done: edit 1") == true, "\(run.output)")
        #expect((lines.first(where: { $0["step"] as? Int == 2 })?["value"] as? String)?.contains("track_order") == true)
        let (_, decision) = try await request(port, "/match", method: "POST", body: ["message": "is bitcoin accepted"])
        #expect(decision["status"] as? String == "matched" && decision["id"] as? String == "payment_methods")
        let (_, edits) = try await request(port, "/v1/edits", token: token)
        #expect(((edits["edits"] as? [[String: Any]])?.first?["by"] as? String) == "Lena")
        #expect(!server.log.contains(token), "the token is never logged")
    }

    /// Edits live in the state store: a restart serves them again, from an index store only their
    /// new paraphrases are embedded, and `export` writes corpus files (and out-of-scope questions) with them.
    @Test func consoleEditsSurviveARestartAndAreExported() async throws {
        let dir = NSTemporaryDirectory() + "intent-edits-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cli = MatchCommandTests()
        let store = "sqlite:\(dir)/index.sqlite", state = "sqlite:\(dir)/state.sqlite"
        #expect(try await cli.run(["import", "corpus", "--store", store, "--embedder", "lexical"]).status == 0)
        let environment = ["INTENT_ADMIN_TOKEN": "edit-admin", "INTENT_STATE": state]
        var server = try ServerProcess(arguments: ["--store", store], environment: environment)
        var port = try await server.port()
        #expect(try await server.waitFor("corpus loaded"))
        let (created, _) = try await request(
            port, "/v1/entries", method: "POST",
            body: ["id": "crypto", "questions": ["do you take bitcoin", "crypto payments?"], "answer": "Not yet."],
            token: "edit-admin")
        #expect(created == 201)
        _ = try await request(port, "/match", method: "POST", body: ["message": "qwzx vbnm plork"])
        let (_, review) = try await request(port, "/v1/review", token: "edit-admin")
        let cluster = try #require((review["clusters"] as? [[String: Any]])?.first?["id"] as? String)
        #expect(try await request(port, "/v1/review/\(cluster)/dismiss", method: "POST", token: "edit-admin").0 == 200)
        server.stop()

        server = try ServerProcess(arguments: ["--store", store], environment: environment)
        defer { server.stop() }
        port = try await server.port()
        #expect(try await server.waitFor("corpus loaded"))
        let (_, decision) = try await request(port, "/match", method: "POST", body: ["message": "do you take bitcoin?"])
        #expect(decision["id"] as? String == "crypto")
        let (_, ready) = try await request(port, "/readyz")
        #expect(ready["entries"] as? Int == 44)

        let out = dir + "/out"
        #expect(try await cli.run(["export", "--store", store, "--state", state, "--output", out]).status == 0)
        let faq = try String(contentsOfFile: out + "/faq.jsonl", encoding: .utf8)
        #expect(faq.contains(#""id":"crypto""#))
        let negatives = try String(contentsOfFile: out + "/eval/out-of-scope.jsonl", encoding: .utf8)
        #expect(negatives == #"{"expected":null,"question":"qwzx vbnm plork"}"# + "\n")
        // Imported again, the exported corpus is what was served: the edits add nothing more.
        #expect(try await cli.run(["import", out, "--store", store, "--embedder", "lexical"]).status == 0)
        let evaluation = try await cli.run(["evaluate", "--store", store, "--questions", out + "/eval/out-of-scope.jsonl"])
        #expect(evaluation.status == 0, "\(evaluation.stdout + evaluation.stderr)")
    }

    @Test func invalidCorpusExitsTwo() async throws {
        let dir = NSTemporaryDirectory() + "intent-serve-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{"id": "a", "questions": [], "answer": "x"}"#.write(toFile: dir + "/faq.jsonl", atomically: true, encoding: .utf8)
        let server = try ServerProcess(arguments: ["--corpus", dir])
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 2)
        #expect(try await server.waitFor("faq.jsonl:1: questions: empty list", seconds: 5))
    }

    @Test func badConfigurationNamesItsSource() async throws {
        let server = try ServerProcess(arguments: [], environment: ["INTENT_THRESHOLD": "high"])
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 2)
        #expect(try await server.waitFor("INTENT_THRESHOLD: 'high' is not a number in 0.0...1.0", seconds: 5))
    }
}

/// A plain TCP client, to hold a request half-sent across a signal.
final class RawConnection {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
        // A safety net: a read never blocks a test for more than a minute.
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ bytes: [UInt8]) throws {
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == bytes.count else { throw POSIXError(.EPIPE) }
    }

    func readAll() -> String {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        return String(decoding: data, as: UTF8.self)
    }

    deinit { close(fd) }
}
