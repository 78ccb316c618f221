package import Foundation
package import IntentChannels
import PostgresNIO

extension PostgresStateStore: AgentStore {
    package func addAgent(_ agent: Agent, tokenHash: String) async throws {
        let added = try await server.run { client in
            try await Self.count(
                client.query(
                    """
                    INSERT INTO agents (name, display_name, role, token_hash, created_at, token_rotated_at, last_seen_at)
                    VALUES (\(agent.name), \(agent.displayName), \(agent.role.rawValue), \(tokenHash), \(agent.createdAt.timeIntervalSince1970),
                        \(agent.tokenRotatedAt.timeIntervalSince1970), \(agent.lastSeenAt?.timeIntervalSince1970))
                    ON CONFLICT (name) DO NOTHING RETURNING name
                    """, logger: PostgresServer.quiet))
        }
        if added == 0 { throw AgentError.nameTaken(agent.name) }
    }

    package func agents() async throws -> [Agent] {
        try await server.run { client in
            try await Self.agents(
                client.query("SELECT \(unescaped: Self.agentColumns) FROM agents ORDER BY name COLLATE \"C\"", logger: PostgresServer.quiet))
        }
    }

    package func agent(tokenHash: String) async throws -> Agent? {
        try await server.run { client in
            try await Self.agents(
                client.query("SELECT \(unescaped: Self.agentColumns) FROM agents WHERE token_hash = \(tokenHash)", logger: PostgresServer.quiet)
            ).first
        }
    }

    package func replaceToken(ofAgent name: String, tokenHash: String, at: Date) async throws -> Bool {
        try await server.run { client in
            try await Self.count(
                client.query(
                    "UPDATE agents SET token_hash = \(tokenHash), token_rotated_at = \(at.timeIntervalSince1970) WHERE name = \(name) RETURNING name",
                    logger: PostgresServer.quiet)) > 0
        }
    }

    package func removeAgent(named name: String) async throws -> Bool {
        try await server.run { client in
            try await Self.count(client.query("DELETE FROM agents WHERE name = \(name) RETURNING name", logger: PostgresServer.quiet)) > 0
        }
    }

    package func agentSeen(_ name: String, at: Date) async throws {
        _ = try await server.run { client in
            try await client.query("UPDATE agents SET last_seen_at = \(at.timeIntervalSince1970) WHERE name = \(name)", logger: PostgresServer.quiet)
        }
    }

    private static let agentColumns = "name, display_name, role, created_at, token_rotated_at, last_seen_at"

    private static func agents(_ rows: PostgresRowSequence) async throws -> [Agent] {
        var agents: [Agent] = []
        for try await (name, displayName, role, created, rotated, seen) in rows.decode((String, String?, String, Double, Double, Double?).self) {
            agents.append(
                Agent(
                    // The table's CHECK keeps the role one of the three; a reader never grants more than viewer.
                    name: name, displayName: displayName, role: Agent.Role(rawValue: role) ?? .viewer,
                    createdAt: Date(timeIntervalSince1970: created),
                    tokenRotatedAt: Date(timeIntervalSince1970: rotated), lastSeenAt: seen.map(Date.init(timeIntervalSince1970:))))
        }
        return agents
    }
}
