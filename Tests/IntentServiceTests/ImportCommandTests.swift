import Foundation
import GRDB
import IntentCore
import Testing

@testable import IntentSQLite

/// `import` and `export` end to end, including a kill -9 half-way through a paid import.
@Suite(.serialized) struct ImportCommandTests {
    let cli = MatchCommandTests()

    func scratch() throws -> String {
        let dir = NSTemporaryDirectory() + "intent-import-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func curl(_ args: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-s"] + args
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// A URL of a store this build cannot open is an error naming the supported form, never a
    /// file path (it wrote a SQLite file under a new folder named "postgres:"), and the
    /// message does not repeat the URL's password.
    @Test func unknownStoreSchemesAreRefusedWithoutWritingAnything() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for url in ["mysql://root:hunter2@localhost/x", "redis:cache"] {
            for command in [
                ["import", "corpus", "--store", url], ["match", "--store", url, "hello"], ["export", "--store", url, "--output", dir + "/out"],
            ] {
                let result = try await cli.run(command)
                #expect(result.status == 2, "\(command): \(result.stderr)")
                #expect(result.stderr.contains("unsupported store scheme"), "\(command): \(result.stderr)")
                #expect(!result.stderr.contains("hunter2"))
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "nothing was exported")
        for folder in ["mysql:", "redis:cache"] {
            #expect(!FileManager.default.fileExists(atPath: MatchCommandTests.root.appendingPathComponent(folder).path), "\(folder) was created")
        }
    }

    /// A vector deleted from the store by hand: loading says what is wrong and what repairs it,
    /// and importing the same corpus (otherwise a no-op) embeds just that one again.
    @Test func anImportOfTheSameCorpusRepairsAMissingVector() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = "sqlite:\(dir)/index.sqlite"
        let lexical = ["--store", store, "--embedder", "lexical"]
        #expect(try await cli.run(["import", "corpus", "--quiet"] + lexical).status == 0)
        let opened = try SQLiteIndexStore(path: "\(dir)/index.sqlite")
        try await opened.pool.write { try $0.execute(sql: "DELETE FROM vectors WHERE rowid = (SELECT MIN(rowid) FROM vectors)") }
        #expect(try await opened.paraphrasesWithoutVectors() == 1)

        let broken = try await cli.run(["match", "--json", "我想把钱要回来"] + lexical)
        #expect(broken.status != 0)
        #expect(broken.stderr.contains("paraphrase") && broken.stderr.contains("import` of the same corpus repairs it"), "\(broken.stderr)")
        let repair = try json(try await cli.run(["import", "corpus", "--json"] + lexical).stdout)
        #expect(repair["embedded"] as? Int == 1 && repair["added"] as? Int == 0 && repair["changed"] as? Int == 0)
        #expect(try await opened.paraphrasesWithoutVectors() == 0)
        let served = try await cli.run(["match", "--json", "我想把钱要回来"] + lexical)
        #expect(served.status == 0, "\(served.stderr)")
    }

    @Test func importIsIncrementalAndExportRoundTrips() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = "sqlite:\(dir)/index.sqlite"
        let first = try await cli.run(["import", "corpus", "--store", store, "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let summary = try json(first.stdout)
        #expect(summary["added"] as? Int ?? 0 >= 40)
        #expect(summary["embedded"] as? Int ?? 0 >= 240)
        let again = try json(try await cli.run(["import", "corpus", "--store", store, "--json"]).stdout)
        #expect(again["embedded"] as? Int == 0)
        #expect(again["unchanged"] as? Int == summary["added"] as? Int)

        let served = try await cli.run(["match", "--store", store, "--json", "我想把钱要回来"])
        #expect(try json(served.stdout)["id"] as? String == "refund_request")

        for format in ["jsonl", "csv"] {
            let out = "\(dir)/export-\(format)"
            #expect(try await cli.run(["export", "--store", store, "--format", format, "--output", out]).status == 0)
            let copy = "sqlite:\(dir)/copy-\(format).sqlite"
            #expect(try await cli.run(["import", out, "--store", copy, "--json"]).status == 0)
            let original = try CorpusLoader.load("corpus")
            let reimported = try CorpusLoader.load(out)
            #expect(
                reimported.entries.map {
                    var e = $0
                    e.location = nil
                    return e
                }
                    == original.entries.map {
                        var e = $0
                        e.location = nil
                        return e
                    })
            #expect(reimported.rules.map(\.id) == original.rules.map(\.id))
            #expect(reimported.version == original.version, "a lossless round trip keeps the content fingerprint")
        }
    }

    /// An out-of-scope entry (no answer) and a corpus without rules come back as they went in.
    @Test func outOfScopeEntriesAndNoRulesRoundTrip() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try
            (#"{"id": "refund", "questions": ["how do i get a refund", "money back"], "answer": "5 days."}"# + "\n"
            + #"{"id": "not_ours", "questions": ["fix my car", "tell me a joke"], "tags": ["out-of-scope"]}"# + "\n")
            .write(toFile: "\(dir)/faq.jsonl", atomically: true, encoding: .utf8)
        let store = "sqlite:\(dir)/index.sqlite"
        let imported = try await cli.run(["import", "\(dir)/faq.jsonl", "--store", store, "--embedder", "lexical"])
        #expect(imported.status == 0, "\(imported.stderr)")
        let turnedAway = try json(try await cli.run(["match", "--store", store, "--json", "can you fix my car"]).stdout)
        #expect(turnedAway["status"] as? String == "unmatched")
        #expect((turnedAway["reason"] as? String ?? "").contains("closest to out-of-scope 'not_ours'"))
        let original = try CorpusLoader.load("\(dir)/faq.jsonl")
        for format in ["jsonl", "csv"] {
            let out = "\(dir)/export-\(format)"
            #expect(try await cli.run(["export", "--store", store, "--format", format, "--output", out]).status == 0)
            let again = try await cli.run(["import", out, "--store", "sqlite:\(dir)/copy-\(format).sqlite", "--embedder", "lexical"])
            #expect(again.status == 0, "\(again.stderr)")
            let reimported = try CorpusLoader.load(out)
            #expect(
                reimported.entries.map {
                    var e = $0
                    e.location = nil
                    return e
                }
                    == original.entries.map {
                        var e = $0
                        e.location = nil
                        return e
                    })
        }
    }

    @Test func anInvalidCorpusWritesNothing() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{"id": "a", "questions": [], "answer": "x"}"#.write(toFile: "\(dir)/faq.jsonl", atomically: true, encoding: .utf8)
        let r = try await cli.run(["import", dir, "--store", "sqlite:\(dir)/index.sqlite"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("faq.jsonl:1: questions: empty list"))
        let dry = try await cli.run(["import", "corpus", "--store", "sqlite:\(dir)/dry.sqlite", "--dry-run", "--json"])
        #expect(try json(dry.stdout)["would_embed"] as? Int ?? 0 >= 240)
        let empty = try await cli.run(["match", "--store", "sqlite:\(dir)/dry.sqlite", "hello"])
        #expect(empty.status == 2, "a dry run writes no index")
        #expect(empty.stderr.contains("holds no index yet"))
    }

    @Test func anInvalidFlowFileWritesNothingAndAnUnsetURLIsAWarning() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{"id": "order_status", "questions": ["where is my order"], "answer": "x"}"#.write(
            toFile: "\(dir)/faq.jsonl", atomically: true, encoding: .utf8)
        let flows = """
            flows:
              order:
                trigger: {entry: order_status}
                start: ask
                steps:
                  ask:    {ask: "Order number?", save: order, next: lookup}
                  lookup: {webhook: {setting: order_lookup_url}, next: done, error: done}
                  done:   {say: "Thanks.", end: true}
            """
        try flows.replacingOccurrences(of: "next: done, error", with: "next: gone, error").write(
            toFile: "\(dir)/flows.yaml", atomically: true, encoding: .utf8)
        let bad = try await cli.run(["import", dir, "--store", "sqlite:\(dir)/index.sqlite", "--embedder", "lexical"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("flows.yaml:7: flows.order.steps.lookup: 'gone' is not a step of the flow"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/index.sqlite"), "nothing is written")
        try flows.write(toFile: "\(dir)/flows.yaml", atomically: true, encoding: .utf8)
        let good = try await cli.run(["import", dir, "--store", "sqlite:\(dir)/index.sqlite", "--embedder", "lexical"])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stderr.contains("order_lookup_url is not set"), "\(good.stderr)")
        // The named flow file is the one checked.
        try FileManager.default.createDirectory(atPath: "\(dir)/flows", withIntermediateDirectories: true)
        try "flows: [1]\n".write(toFile: "\(dir)/flows/other.yaml", atomically: true, encoding: .utf8)
        let named = try await cli.run(
            ["import", dir, "--store", "sqlite:\(dir)/index.sqlite", "--embedder", "lexical"],
            environment: ["INTENT_FLOWS": "\(dir)/flows/other.yaml"])
        #expect(named.status == 2)
        #expect(named.stderr.contains("other.yaml:1: flows: expected a mapping of flow ids to flows"), "\(named.stderr)")
    }

    @Test func vectorsOfAnotherEmbedderAreRefused() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = "sqlite:\(dir)/index.sqlite"
        #expect(try await cli.run(["import", "corpus", "--store", store]).status == 0)
        let r = try await cli.run(
            ["match", "--store", store, "--provider", "openai", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "hi"],
            environment: ["OPENAI_API_KEY": "sk-x"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("re-import"))
    }

    @Test func batchesGoOutWithBoundedConcurrency() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for concurrency in [1, 3] {
            let (server, port) = try ProviderCommandTests().fakeServer()
            defer { server.terminate() }
            let env = [
                "OPENAI_API_KEY": ProviderCommandTests.key, "INTENT_BATCH_SIZE": "4", "INTENT_DIMENSIONS": "64",
                "INTENT_CONCURRENCY": "\(concurrency)",
            ]
            let r = try await cli.run(
                [
                    "import", "corpus", "--json", "--provider", "openai", "--base-url", "http://127.0.0.1:\(port)/v1", "--model", "m",
                    "--store", "sqlite:\(dir)/c\(concurrency).sqlite",
                ], environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            let total = try CorpusLoader.load("corpus").paraphraseCount
            #expect(try json(r.stdout)["requests"] as? Int == (total + 3) / 4)
            // Keep-alive reuses an idle connection, so a second one opens only while the first is busy.
            // (The count includes this curl's own connection.)
            let connections = (try json(try curl(["http://127.0.0.1:\(port)/_stats"]))["connections"] as? Int ?? 0) - 1
            if concurrency == 1 { #expect(connections == 1) } else { #expect(connections >= 2 && connections <= concurrency) }
        }
    }

    @Test func killNineHalfWayLeavesTheOldIndexAndTheNextImportPaysOnlyForTheRest() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (server, port) = try ProviderCommandTests().fakeServer()
        defer { server.terminate() }
        let base = "http://127.0.0.1:\(port)"
        let store = "sqlite:\(dir)/index.sqlite"
        // A known dimension: no probe request, so the scripted behaviours line up with the batches.
        // One batch in flight, so "five batches, then a hang" is exactly what gets paid for.
        let env = [
            "OPENAI_API_KEY": ProviderCommandTests.key, "INTENT_BATCH_SIZE": "2", "INTENT_DIMENSIONS": "64", "INTENT_CONCURRENCY": "1",
        ]
        let provider = ["--provider", "openai", "--base-url", base + "/v1", "--model", "fake-embed", "--store", store]
        try #"{"id": "small", "questions": ["a small corpus"], "answer": "x"}"#.write(toFile: "\(dir)/small.jsonl", atomically: true, encoding: .utf8)
        #expect(try await cli.run(["import", "\(dir)/small.jsonl"] + provider, environment: env).status == 0)

        // Five batches go through, the sixth hangs; then the import is killed.
        _ = try curl([
            "-X", "POST", base + "/_control", "-d",
            #"{"script": [{"mode":"ok"},{"mode":"ok"},{"mode":"ok"},{"mode":"ok"},{"mode":"ok"},{"mode":"hang","seconds":30}]}"#,
        ])
        let child = Process()
        child.executableURL = MatchCommandTests.binary
        child.arguments = ["import", "corpus", "--quiet"] + provider
        child.currentDirectoryURL = MatchCommandTests.root
        child.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        try child.run()
        let deadline = Date().addingTimeInterval(30)
        var seen = 0
        while Date() < deadline {
            let stats = try json(try curl([base + "/_stats"]))
            seen = (stats["requests"] as? [String: Int])?["/v1/embeddings"] ?? 0
            if seen >= 1 + 6 { break }  // the small import's batch + 6 batches of this one
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        #expect(seen >= 7)

        let after = try await cli.run(["match", "--json", "a small corpus"] + provider, environment: env)
        #expect(after.status == 0, "\(after.stderr)")
        #expect(try json(after.stdout)["id"] as? String == "small", "the previous index still serves")

        let rerun = try await cli.run(["import", "corpus", "--json"] + provider, environment: env)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let summary = try json(rerun.stdout)
        let total = try CorpusLoader.load("corpus").paraphraseCount
        #expect(summary["embedded"] as? Int == total - 10, "the 10 paraphrases of the 5 finished batches were not paid again")
        #expect(summary["requests"] as? Int == (total - 10 + 1) / 2)
    }
}
