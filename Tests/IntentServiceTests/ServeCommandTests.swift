import Foundation
import Glibc
import IntentCore
import IntentTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `intent-service serve` as a real process, where the process is the subject: start-up and its
/// exit status, SIGHUP reload, graceful SIGTERM. The routes are tested in process (`ServeRoutesTests`).
@Suite(.serialized) struct ServeCommandTests {
    /// Sendable: its state is the process (which Foundation locks) and a file path.
    final class ServerProcess: @unchecked Sendable {
        let process: Process
        /// The child's standard output and error go to a file, not a pipe: a pipe's end of file
        /// waits for every process holding its write end, and children that other tests start at
        /// the same moment inherit it (Foundation's pipes are not close-on-exec). On a loaded
        /// machine that kept "the output's end" away for minutes after the process had exited.
        private let logPath: String

        init(arguments: [String], environment: [String: String] = [:]) throws {
            process = Process()
            process.executableURL = MatchCommandTests.binary
            process.arguments = ["serve", "--port", "0"] + arguments
            process.currentDirectoryURL = MatchCommandTests.root
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            logPath = NSTemporaryDirectory() + "intent-serve-\(UUID().uuidString).log"
            guard FileManager.default.createFile(atPath: logPath, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            // The child has its own descriptor; the file is complete once it has exited.
            try? handle.close()
        }

        deinit { try? FileManager.default.removeItem(atPath: logPath) }

        /// Everything the process printed so far (all of it once it has exited).
        var log: String { String(decoding: FileManager.default.contents(atPath: logPath) ?? Data(), as: UTF8.self) }

        /// Waits until the log contains `text`, or the process has exited without printing it.
        /// The deadline is only a safety net against a hang: start-up loads two sentence models
        /// and embeds the corpus, which under a full parallel test run on two cores has taken
        /// over 20 s (the old fixed wait, which failed a first run on a fresh clone).
        /// When it gives up, it prints the end of the log: the failure's only witness in CI.
        func waitFor(_ text: String, seconds: Double = 180) async throws -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                let exited = !process.isRunning
                if log.contains(text) { return true }
                if exited { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let how = process.isRunning ? "still running after \(Int(seconds)) s" : "exited"
            print("ServerProcess \(process.processIdentifier) never logged \"\(text)\" (\(how)); its log's end:\n\(log.suffix(8_000))")
            return false
        }

        /// The port from the "listening" log line.
        func port() async throws -> Int {
            #expect(try await waitFor("address="))
            return try #require(ServedInProcess.listeningPort(in: log))
        }

        /// Waits (on a thread of its own) for the process to exit; its log is then complete.
        func exitStatus() async throws -> Int32 {
            let process = UncheckedSendable(process)
            return try await BlockingIO.run {
                process.value.waitUntilExit()
                return process.value.terminationStatus
            }
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
        let server = try ServerProcess(arguments: ["--corpus", "corpus", "--log-level", "trace"])
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
        let requestID = "sigterm-\(UUID().uuidString.prefix(8))"
        try connection.send(
            Array(
                "POST /match HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: \(requestID)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
                    .utf8))
        try connection.send(Array(body.prefix(10)))
        try await eventually("the server has the request's head") {
            server.log.split(separator: "\n").contains { $0.contains("request received") && $0.contains(requestID) }
        }
        server.process.terminate()
        #expect(try await server.waitFor("Server State: shuttingDown"))
        try connection.send(Array(body.dropFirst(10)))
        let response = try await connection.readAll()
        #expect(response.hasPrefix("HTTP/1.1 200"), "\(response)")
        #expect(response.contains("track_order"))
        #expect(try await server.exitStatus() == 0)
        #expect(try await server.waitFor("stopped", seconds: 5))
    }

    /// The timeouts are wall-clock behaviour, so the server runs in a process of its own: in the
    /// test process its timers would share the cooperative threads with CPU-bound suites, and the
    /// 300 ms body timeout could lose its race with the 1.5 s idle one.
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
        #expect(try await silent.readAll().isEmpty)
        #expect(Date().timeIntervalSince(started) < 50)
        // Headers dribbled and never finished: closed too.
        let dribbling = try RawConnection(port: port)
        try dribbling.send(Array("POST /match HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8))
        #expect(try await dribbling.readAll().isEmpty)
        // A body that stops halfway: 408 request_timeout, then the close.
        let slowBody = try RawConnection(port: port)
        try slowBody.send(
            Array("POST /match HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"message\"".utf8))
        let answer = try await slowBody.readAll()
        #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer)")
        #expect(answer.contains("request_timeout"))
        // The service still answers others.
        let (status, decision) = try await request(port, "/match", method: "POST", body: ["message": "where is my parcel?"])
        #expect(status == 200)
        #expect(decision["id"] as? String == "track_order")
    }

    @Test func invalidCorpusExitsTwo() async throws {
        let dir = NSTemporaryDirectory() + "intent-serve-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{"id": "a", "questions": [], "answer": "x"}"#.write(toFile: dir + "/faq.jsonl", atomically: true, encoding: .utf8)
        let server = try ServerProcess(arguments: ["--corpus", dir])
        #expect(try await server.exitStatus() == 2)
        #expect(try await server.waitFor("faq.jsonl:1: questions: empty list", seconds: 5))
    }

    @Test func anInvalidFlowFileExitsTwo() async throws {
        let dir = NSTemporaryDirectory() + "intent-serve-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{"id": "a", "questions": ["hello there"], "answer": "x"}"#.write(toFile: dir + "/faq.jsonl", atomically: true, encoding: .utf8)
        try "flows:\n  f:\n    trigger: {api: true}\n    start: s\n    steps:\n      s: {webhook: {setting: crm_url}, next: s, error: s}\n".write(
            toFile: dir + "/flows.yaml", atomically: true, encoding: .utf8)
        let server = try ServerProcess(arguments: ["--corpus", dir, "--embedder", "lexical"])
        #expect(try await server.exitStatus() == 2)
        #expect(
            try await server.waitFor(
                "flows.yaml:6: flows.f.steps.s.webhook.setting: 'crm_url' is not a URL setting; use one of order_lookup_url, lead_capture_url",
                seconds: 5))
    }

    @Test func badConfigurationNamesItsSource() async throws {
        let server = try ServerProcess(arguments: [], environment: ["INTENT_THRESHOLD": "high"])
        #expect(try await server.exitStatus() == 2)
        #expect(try await server.waitFor("INTENT_THRESHOLD: 'high' is not a number in 0.0...1.0", seconds: 5))
        let url = try ServerProcess(arguments: [], environment: ["INTENT_ORDER_LOOKUP_URL": "erp.example/orders"])
        #expect(try await url.exitStatus() == 2)
        #expect(try await url.waitFor("INTENT_ORDER_LOOKUP_URL: 'erp.example/orders' is not an http(s) URL", seconds: 5))
    }
}

/// A plain TCP client, to hold a request half-sent across a signal.
final class RawConnection: Sendable {
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

    /// Reads until the server closes the connection, on a thread of its own (a blocking read).
    func readAll() async throws -> String {
        try await BlockingIO.run { self.readAllBlocking() }
    }

    private func readAllBlocking() -> String {
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
