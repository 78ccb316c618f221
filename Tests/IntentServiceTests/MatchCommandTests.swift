import Foundation
import IntentCore
import Testing

/// `intent-service match` end to end: the built binary, run as a user would.
@Suite struct MatchCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The `intent-service` binary next to this test bundle.
    static var binary: URL {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [here, here.deletingLastPathComponent(), Bundle.main.bundleURL] {
            let candidate = dir.appendingPathComponent("intent-service")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return root.appendingPathComponent(".build/debug/intent-service")
    }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the binary on a blocking-I/O thread: waiting for a child must not park a cooperative thread.
    func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) async throws -> Run {
        try await BlockingIO.run { try self.runBlocking(arguments, stdin: stdin, environment: environment) }
    }

    func runBlocking(_ arguments: [String], stdin: String?, environment: [String: String]) throws -> Run {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.currentDirectoryURL = Self.root
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    func decode(_ line: Substring) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func textModeExplainsTheDecision() async throws {
        let r = try await run(["match", "我想把钱要回来"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("decision:  matched -> refund_request (method: embedding)"))
        #expect(r.stdout.contains("why:"))
        #expect(r.stdout.contains("candidates:"))
    }

    @Test func jsonModePrintsOneObjectWithEveryField() async throws {
        let r = try await run(["match", "--json", "where is my parcel?"])
        #expect(r.status == 0, "\(r.stderr)")
        let d = try decode(Substring(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(d["status"] as? String == "matched")
        #expect(d["id"] as? String == "track_order")
        #expect(d["method"] as? String == "embedding")
        for key in ["answer", "score", "margin", "matched_question", "rule", "candidates", "reason"] {
            #expect(d.keys.contains(key), "missing \(key)")
        }
    }

    @Test func batchModeAnswersEveryLineInOrder() async throws {
        let messages = ["转人工", "how long does shipping take", "what's the weather like on mars", "退款多久到账"]
        let r = try await run(["match"], stdin: messages.joined(separator: "\n") + "\n")
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == messages.count)
        let decisions = try lines.map(decode)
        #expect(decisions[0]["rule"] as? String == "human_handover")
        #expect(decisions[1]["id"] as? String == "shipping_time")
        #expect(decisions[2]["status"] as? String == "unmatched")
        #expect(decisions[3]["id"] as? String == "refund_time")
    }

    /// A program that writes one message and waits for its answer (a pipe, a chat bridge)
    /// gets it while its input stays open: batch mode answers what has arrived.
    @Test func batchModeAnswersEachLineWhileInputStaysOpen() async throws {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["match", "--embedder", "lexical"]
        process.currentDirectoryURL = Self.root
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // A failure must not hang the suite: after a minute the process goes, and the read ends.
        let running = process
        let watchdog = Task {
            try? await Task.sleep(for: .seconds(60))
            if running.isRunning { running.terminate() }
        }
        defer {
            watchdog.cancel()
            if process.isRunning { process.terminate() }
        }
        let reader = output.fileHandleForReading
        func answer(to message: String) async throws -> [String: Any] {
            input.fileHandleForWriting.write(Data((message + "\n").utf8))
            // Blocks until the answer's line arrives; it would hang for good if answers waited for more input.
            let line = try await BlockingIO.run { () -> String in
                var bytes: [UInt8] = []
                while let byte = try reader.read(upToCount: 1)?.first, byte != 0x0A { bytes.append(byte) }
                return String(decoding: bytes, as: UTF8.self)
            }
            return try decode(Substring(line))
        }
        #expect(try await answer(to: "转人工")["rule"] as? String == "human_handover")
        #expect(try await answer(to: "how long does shipping take")["id"] as? String == "shipping_time")
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test func invalidCorpusExitsTwoListingProblems() async throws {
        let dir = NSTemporaryDirectory() + "intent-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
        {"id": "a", "questions": ["q"], "answer": "x"}
        {"id": "a", "questions": ["r"], "answer": "y"}
        {"id": "b", "questions": [], "answer": ""}
        """.write(toFile: dir + "/faq.jsonl", atomically: true, encoding: .utf8)
        let r = try await run(["match", "--corpus", dir, "hello"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("faq.jsonl:2: id: 'a' is already defined"))
        #expect(r.stderr.contains("faq.jsonl:3: questions: empty list"))
        #expect(r.stderr.contains("faq.jsonl:3: answer: empty"))
        #expect(r.stdout.isEmpty)
    }

    @Test func badOptionsAreRejectedWithAHint() async throws {
        let r = try await run(["match", "--embedder", "magic", "hi"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--embedder: 'magic' is not one of lexical"))
    }

    @Test func helpDescribesEveryOption() async throws {
        let r = try await run(["match", "--help"])
        for option in ["--corpus", "--rules", "--embedder", "--threshold", "--margin", "--fallback-reply", "--json", "--top-k"] {
            #expect(r.stdout.contains(option), "help lacks \(option)")
        }
        #expect(try await run(["--version"]).stdout.contains("libcurl"))
    }
}
