package import Foundation
import GRDB
package import IntentChannels

extension SQLiteStateStore: AgentStore {
    package func addAgent(_ agent: Agent, tokenHash: String) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO agents (name, display_name, role, token_hash, created_at, token_rotated_at, last_seen_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING
                    """,
                arguments: [
                    agent.name, agent.displayName, agent.role.rawValue, tokenHash, agent.createdAt.timeIntervalSince1970,
                    agent.tokenRotatedAt.timeIntervalSince1970,
                    agent.lastSeenAt?.timeIntervalSince1970,
                ])
            if db.changesCount == 0 { throw AgentError.nameTaken(agent.name) }
        }
    }

    package func agents() async throws -> [Agent] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM agents ORDER BY name").map(Self.agent) }
    }

    package func agent(tokenHash: String) async throws -> Agent? {
        try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM agents WHERE token_hash = ?", arguments: [tokenHash]).map(Self.agent) }
    }

    package func replaceToken(ofAgent name: String, tokenHash: String, at: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE agents SET token_hash = ?, token_rotated_at = ? WHERE name = ?", arguments: [tokenHash, at.timeIntervalSince1970, name])
            return db.changesCount > 0
        }
    }

    package func removeAgent(named name: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM agents WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
    }

    package func agentSeen(_ name: String, at: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE agents SET last_seen_at = ? WHERE name = ?", arguments: [at.timeIntervalSince1970, name])
        }
    }

    private static func agent(_ row: Row) -> Agent {
        Agent(
            // The table's CHECK keeps the role one of the three; a reader never grants more than viewer.
            name: row["name"], displayName: row["display_name"], role: Agent.Role(rawValue: row["role"]) ?? .viewer,
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            tokenRotatedAt: Date(timeIntervalSince1970: row["token_rotated_at"]),
            lastSeenAt: (row["last_seen_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }
}
