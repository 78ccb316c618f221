import Foundation
import IntentChannels
import Testing

/// What every `AgentStore` must do, whatever the database: run against SQLite and PostgreSQL.
enum AgentStoreContract {
    static func check(_ makeStore: () async throws -> any AgentStore) async throws {
        let store = try await makeStore()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(try await store.agents().isEmpty)

        // A new agent: its token is shown once, looked up by its hash, never stored as it is.
        let (lena, token) = try await store.addAgent(named: "Lena M.", role: .agent, at: t0)
        #expect(lena == Agent(name: "Lena M.", role: .agent, createdAt: t0, tokenRotatedAt: t0, lastSeenAt: nil))
        #expect(token.hasPrefix("ia_") && token.count == 46 && AgentToken.looksLikeOne(token))
        #expect(try await store.agent(token: token) == lena)
        #expect(try await store.agent(tokenHash: AgentToken.hash(token)) == lena)
        #expect(try await store.agent(token: token.replacingOccurrences(of: "ia_", with: "ib_")) == nil)
        #expect(try await store.agent(token: AgentToken.generate()) == nil, "a token nobody was given")

        // Names are unique; a taken one is refused and changes nothing.
        await #expect(throws: AgentError.nameTaken("Lena M.")) { try await store.addAgent(named: "Lena M.", role: .admin, at: t0) }
        await #expect(throws: AgentError.self) { try await store.addAgent(named: " Lena", role: .admin, at: t0) }
        let (wang, wangToken) = try await store.addAgent(named: "wang.fang", displayName: "王芳", role: .viewer, at: t0.addingTimeInterval(1))
        #expect(wangToken != token)
        // The display name is kept beside the name, which stays the key.
        #expect(wang.displayName == "王芳" && lena.displayName == nil)
        #expect(try await store.agent(token: wangToken)?.displayName == "王芳")
        await #expect(throws: AgentError.self) { try await store.addAgent(named: "li", displayName: "Li\u{202E}gnp", role: .agent, at: t0) }
        #expect(try await store.agents().contains { $0.name == "li" } == false)
        let (admin, _) = try await store.addAgent(named: "ops-1", role: .admin, at: t0.addingTimeInterval(2))
        #expect(try await store.agents() == [lena, admin, wang].sorted { $0.name < $1.name }, "by name")
        #expect(try await store.agent(token: wangToken)?.role == .viewer)

        // Last seen, as a server records it.
        try await store.agentSeen("Lena M.", at: t0.addingTimeInterval(30))
        #expect(try await store.agent(token: token)?.lastSeenAt == t0.addingTimeInterval(30))

        // A new token: the old one stops working at once.
        let rotated = try await store.rotateToken(ofAgent: "Lena M.", at: t0.addingTimeInterval(60))
        #expect(rotated != token)
        #expect(try await store.agent(token: token) == nil)
        let after = try #require(try await store.agent(token: rotated))
        #expect(after.name == "Lena M." && after.createdAt == t0 && after.tokenRotatedAt == t0.addingTimeInterval(60))
        await #expect(throws: AgentError.unknownAgent("nobody")) { try await store.rotateToken(ofAgent: "nobody", at: t0) }

        // Removed: gone from the list, and its token with it.
        #expect(try await store.removeAgent(named: "Lena M."))
        #expect(try await !store.removeAgent(named: "Lena M."))
        #expect(try await store.agent(token: rotated) == nil)
        #expect(try await store.agents().map(\.name) == ["ops-1", "wang.fang"])
        // The name is free again.
        #expect(try await store.addAgent(named: "Lena M.", role: .viewer, at: t0).agent.role == .viewer)
    }
}

@Suite struct AgentDisplayNameTests {
    @Test func displayNamesTakeAnyScriptButNothingThatHidesWhatTheyShow() {
        for name in ["王芳", "Zoë Ångström", "Иван", "محمد", "<b>Lena</b>", "a", String(repeating: "芳", count: 64)] {
            #expect(AgentDisplayName.problem(with: name) == nil, "\(name)")
        }
        for name in [
            "", " 王芳", "王芳 ", "王  芳", "王\n芳", "Lena\u{202E}gnp", "zero\u{200B}width", "tab\tbed", "\u{3000}全角", String(repeating: "芳", count: 65),
        ] {
            #expect(AgentDisplayName.problem(with: name) != nil, "\(name.debugDescription)")
        }
        #expect(AgentDisplayName.problem(with: "a\nb")?.contains(#""a\nb""#) == true, "a line break is shown escaped")
        // A space that carries a combining mark is still a space between words, as the pattern reads it.
        #expect(AgentDisplayName.problem(with: "a \u{301}") == nil && AgentDisplayName.problem(with: " \u{301}a") != nil)
    }

    /// The API's schema refuses what the service refuses, by the same list.
    @Test func theAPIsSchemaStatesTheSameRule() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let schema = try String(contentsOf: root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        #expect(schema.contains("pattern: '\(AgentDisplayName.pattern)'"), "openapi.yaml's AgentDisplayName pattern: \(AgentDisplayName.pattern)")
    }
}

@Suite struct AgentNameTests {
    @Test func namesAreShortReadableAndSafeToPrint() {
        for name in ["lena", "Lena M.", "ops_bot-2", "wang.fang", "a", "0", String(repeating: "x", count: 64)] {
            #expect(AgentName.problem(with: name) == nil, "\(name)")
        }
        for name in ["", " lena", "lena ", "le  na", "lena\n", "lena\u{202E}", "a/b", "<b>", "王芳", "Zoë", "ⅼena", String(repeating: "x", count: 65)] {
            #expect(AgentName.problem(with: name) != nil, "\(name.debugDescription)")
        }
        #expect(AgentName.problem(with: "lena\nroot")?.contains(#""lena\nroot""#) == true, "a line break is shown escaped")
    }

    @Test func tokensAreRandomAndOnlyTheirHashIsKept() {
        let tokens = (0..<100).map { _ in AgentToken.generate() }
        #expect(Set(tokens).count == 100)
        #expect(tokens.allSatisfy { $0.count == 46 && $0.dropFirst(3).allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" } })
        // The SHA-256 of "ia_" and the rest, in hex.
        #expect(AgentToken.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(!AgentToken.looksLikeOne("console-secret"))
    }
}
