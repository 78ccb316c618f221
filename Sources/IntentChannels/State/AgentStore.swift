import Crypto
package import Foundation

/// A person (or program) who signs in to the console and the `/v1/` API with a token of their
/// own: their name signs what they do, their role says what they may do.
package struct Agent: Sendable, Equatable {
    /// What an agent may do, each role including the ones before it: a viewer reads; an agent
    /// also answers customers and teaches the bot (the review queue's actions); an admin also
    /// manages flows, the corpus's answers and the agents.
    package enum Role: String, Sendable, CaseIterable {
        case viewer, agent, admin
    }

    /// The key: it signs what they do, in the store, the logs and the API.
    package var name: String
    /// How people see them in the console and the timeline, in any script (`王芳`); nil: the name.
    package var displayName: String?
    package var role: Role
    package var createdAt: Date
    /// When the token in use was made: the creation, or the last rotation.
    package var tokenRotatedAt: Date
    /// When a server last took the token (updated at most once a minute per server); nil: never.
    package var lastSeenAt: Date?

    package init(
        name: String, displayName: String? = nil, role: Role, createdAt: Date, tokenRotatedAt: Date? = nil, lastSeenAt: Date? = nil
    ) {
        self.name = name
        self.displayName = displayName
        self.role = role
        self.createdAt = createdAt
        self.tokenRotatedAt = tokenRotatedAt ?? createdAt
        self.lastSeenAt = lastSeenAt
    }
}

/// Where the agents are kept (the state store, SQLite or PostgreSQL). A token is never stored,
/// only its SHA-256 (`AgentToken.hash`); a token is looked up by that hash.
package protocol AgentStore: Sendable {
    /// Stores a new agent with the hash of its token; throws `AgentError.nameTaken` when an agent
    /// has that name already.
    func addAgent(_ agent: Agent, tokenHash: String) async throws
    /// Every agent, by name.
    func agents() async throws -> [Agent]
    /// The agent whose token hashes to `tokenHash`, or nil.
    func agent(tokenHash: String) async throws -> Agent?
    /// Gives the agent a new token (its hash); the old one stops working. False: no such agent.
    func replaceToken(ofAgent name: String, tokenHash: String, at: Date) async throws -> Bool
    /// Removes the agent and so its token. False: no such agent.
    func removeAgent(named name: String) async throws -> Bool
    /// Records that a server took the agent's token at `at`.
    func agentSeen(_ name: String, at: Date) async throws
}

/// Why an agent was not added or changed, in words for whoever typed the name.
package enum AgentError: Error, Equatable, CustomStringConvertible {
    case invalidName(String)
    case nameTaken(String)
    case unknownAgent(String)

    package var description: String {
        switch self {
        case .invalidName(let reason): return reason
        case .nameTaken(let name): return "an agent named '\(name)' exists already; give it a new token, or remove it first"
        case .unknownAgent(let name): return "no agent named '\(name)'"
        }
    }
}

/// What both stores share beyond their SQL: the names agents may have, and their tokens.
extension AgentStore {
    /// Adds an agent with a new token and returns it with the token, which is shown this once:
    /// only its hash is stored.
    package func addAgent(named name: String, displayName: String? = nil, role: Agent.Role, at: Date) async throws -> (agent: Agent, token: String) {
        if let problem = AgentName.problem(with: name) { throw AgentError.invalidName(problem) }
        if let displayName, let problem = AgentDisplayName.problem(with: displayName) { throw AgentError.invalidName(problem) }
        let token = AgentToken.generate()
        let agent = Agent(name: name, displayName: displayName, role: role, createdAt: at)
        try await addAgent(agent, tokenHash: AgentToken.hash(token))
        return (agent, token)
    }

    /// A new token for the agent (the old one stops working), shown this once.
    package func rotateToken(ofAgent name: String, at: Date) async throws -> String {
        let token = AgentToken.generate()
        guard try await replaceToken(ofAgent: name, tokenHash: AgentToken.hash(token), at: at) else { throw AgentError.unknownAgent(name) }
        return token
    }

    /// The agent a bearer token belongs to, or nil (not an agent's token, or not one of ours).
    package func agent(token: String) async throws -> Agent? {
        guard AgentToken.looksLikeOne(token) else { return nil }
        return try await agent(tokenHash: AgentToken.hash(token))
    }
}

/// An agent's name signs its edits and replies: short, readable, and nothing that could pass
/// for something else in a log line, a table or a URL path: ASCII letters and digits, `.`, `_`,
/// `-`, and single spaces between words (no look-alike letters of other scripts, no control or
/// direction-changing characters). The API's schema states the same rule as a pattern.
package enum AgentName {
    package static let maxLength = 64
    package static let rule = "an agent's name is 1 to 64 ASCII letters or digits, '.', '_', '-' and single spaces between words"

    /// Why `name` cannot be an agent's name, or nil when it can.
    package static func problem(with name: String) -> String? {
        guard !name.isEmpty else { return "the name is empty: \(rule)" }
        guard name.unicodeScalars.count <= maxLength else { return "the name is too long: \(rule)" }
        let allowed = name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._- ".unicodeScalars.contains($0))
        }
        guard allowed, name.first != " ", name.last != " ", !name.contains("  ") else {
            // Quoted and escaped: the name may hold a line break or a terminal's control characters.
            return "\(String(reflecting: name)): \(rule)"
        }
        return nil
    }
}

/// An agent's bearer token: `ia_` and 32 random bytes in base64url (46 characters), so that a
/// token is told from the configured ones at a glance, and by a secret scanner.
package enum AgentToken {
    package static let prefix = "ia_"

    package static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let base64 = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return prefix + base64
    }

    /// Whether a bearer token could be an agent's: the store is asked only about those.
    package static func looksLikeOne(_ token: String) -> Bool {
        token.hasPrefix(prefix) && token.utf8.count == 46
    }

    /// The SHA-256 of the token, in lower-case hex: what the store keeps and looks up. A lookup
    /// by hash needs no constant-time comparison: what the database's index compares is a hash
    /// of the guess, which tells a guesser nothing about the hash stored.
    package static func hash(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
