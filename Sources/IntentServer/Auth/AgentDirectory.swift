package import Foundation
package import IntentChannels
import IntentCore

/// The agents as the server sees them: the agent a bearer token belongs to, looked up in the
/// state store by the token's hash and remembered for `cacheSeconds` (found or not), so that a
/// console polling every few seconds costs the store one read per token per `cacheSeconds`.
///
/// Nothing tells a server that an agent was removed or given a new token (by the CLI, or by
/// another replica): what it remembers expires instead. So a removed agent's token, or a
/// replaced one, keeps working for at most `cacheSeconds` (5 s by default) on every server; a
/// change made through this server's `/v1/agents` takes effect here at once.
package final class AgentDirectory: Sendable {
    /// Opens the store of agents; without `creating`, nil while none exists (no agents then).
    package typealias OpenStore = @Sendable (_ creating: Bool) async throws -> (any AgentStore)?

    let open: OpenStore
    let cacheSeconds: Double
    let now: @Sendable () -> Date
    private let remembered = Locked<[String: (agent: Agent?, until: Date)]>([:])
    private let anyAgent = Locked<(exists: Bool, until: Date)?>(nil)
    private let shownNames = Locked<(names: [String: String], until: Date)?>(nil)

    /// Tokens remembered at most: guesses cannot grow the memory without bound.
    static let capacity = 10_000
    /// How stale an agent's `lastSeenAt` may get before a lookup writes it again.
    static let seenEvery: TimeInterval = 60

    package init(open: @escaping OpenStore, cacheSeconds: Double = 5, now: @escaping @Sendable () -> Date = Date.init) {
        self.open = open
        self.cacheSeconds = cacheSeconds
        self.now = now
    }

    /// The agent `token` belongs to, or nil (not an agent's token, unknown, or no store).
    /// Throws when the store cannot be read.
    package func agent(token: String) async throws -> Agent? {
        guard AgentToken.looksLikeOne(token) else { return nil }
        let hash = AgentToken.hash(token)
        let now = now()
        if let hit = remembered.withLock({ $0[hash] }), hit.until > now { return hit.agent }
        let store = try await open(false)
        let agent = try await store?.agent(tokenHash: hash)
        remember(hash, agent, now: now)
        if let store, let agent, agent.lastSeenAt.map({ now.timeIntervalSince($0) >= Self.seenEvery }) ?? true {
            // Last seen is for people reading `agents list`: a store that takes no writes just now does not refuse the agent.
            try? await store.agentSeen(agent.name, at: now)
        }
        return agent
    }

    /// Whether any agent exists (remembered like a token): without one and without a configured
    /// token, the console's API says how to open it rather than asking for a token.
    package func exist() async throws -> Bool {
        let now = now()
        if let known = anyAgent.current, known.until > now { return known.exists }
        let exists = try await !(open(false)?.agents().isEmpty ?? true)
        anyAgent.withLock { $0 = (exists, now.addingTimeInterval(cacheSeconds)) }
        return exists
    }

    /// The agent named `name`, read from the store each time (a conversation given to someone
    /// removed a moment ago would have nobody), or nil: no such agent, or no store.
    package func agent(named name: String) async throws -> Agent? {
        try await open(false)?.agents().first { $0.name == name }
    }

    /// Each agent's display name by name, for those who have one (remembered like a token): the
    /// inbox shows them beside the names that sign messages. Empty without a store.
    package func displayNames() async throws -> [String: String] {
        let now = now()
        if let known = shownNames.current, known.until > now { return known.names }
        let agents = try await open(false)?.agents() ?? []
        let names = Dictionary(agents.compactMap { agent in agent.displayName.map { (agent.name, $0) } }) { first, _ in first }
        if cacheSeconds > 0 { shownNames.withLock { $0 = (names, now.addingTimeInterval(cacheSeconds)) } }
        return names
    }

    /// The store, for managing agents (`/v1/agents`).
    package func store(creating: Bool) async throws -> (any AgentStore)? { try await open(creating) }

    /// Forgets what this server remembers, after it changed the agents itself: its own changes take effect at once.
    package func forget() {
        remembered.withLock { $0.removeAll() }
        anyAgent.withLock { $0 = nil }
        shownNames.withLock { $0 = nil }
    }

    private func remember(_ hash: String, _ agent: Agent?, now: Date) {
        guard cacheSeconds > 0 else { return }
        remembered.withLock { memory in
            if memory.count >= Self.capacity { memory = memory.filter { $0.value.until > now } }
            if memory.count >= Self.capacity { memory.removeAll() }
            memory[hash] = (agent, now.addingTimeInterval(cacheSeconds))
        }
    }
}
