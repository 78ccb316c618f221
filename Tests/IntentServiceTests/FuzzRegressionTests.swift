import Foundation
import IntentCore
import Testing

/// Every saved fuzz input (the seed corpora and each crash ever found, `Fuzz/`) replayed through
/// its target in the normal build: a parser that crashes on one of them fails the suite.
@Suite struct FuzzRegressionTests {
    static var binary: URL {
        MatchCommandTests.binary.deletingLastPathComponent().appendingPathComponent("intent-fuzz")
    }

    @Test func savedInputsReplayWithoutACrash() async throws {
        let targets = try await replay(["list"])
        #expect(targets.status == 0)
        let names = targets.output.split(separator: "\n").map(String.init)
        #expect(names.count >= 17, "\(names)")
        for directory in ["Fuzz/seeds", "Fuzz/regressions"] {
            let run = try await replay(["replay", MatchCommandTests.root.appendingPathComponent(directory).path])
            #expect(run.status == 0, "\(directory): \(run.output)")
        }
        // Every target has seeds.
        for name in names {
            let seeds =
                (try? FileManager.default.contentsOfDirectory(atPath: MatchCommandTests.root.appendingPathComponent("Fuzz/seeds/\(name)").path)) ?? []
            #expect(!seeds.isEmpty, "no seeds for \(name)")
        }
    }

    func replay(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await ChildProcess.run(Self.binary, arguments, in: MatchCommandTests.root)
    }
}
