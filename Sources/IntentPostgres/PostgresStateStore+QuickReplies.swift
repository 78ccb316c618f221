import Foundation
package import IntentChannels
import PostgresNIO

extension PostgresStateStore: QuickReplyStore {
    package func quickReplies() async throws -> [QuickReply] {
        try await server.run { client in
            let rows = try await client.query("SELECT shortcut, text, updated_by, updated_at FROM quick_replies", logger: PostgresServer.quiet)
            var replies: [QuickReply] = []
            for try await (shortcut, text, by, at) in rows.decode((String, String, String, Double).self) {
                replies.append(QuickReply(shortcut: shortcut, text: text, updatedBy: by, updatedAt: Date(timeIntervalSince1970: at)))
            }
            return replies
        }
    }

    package func saveQuickReply(_ reply: QuickReply) async throws -> Bool {
        try await server.run { client in
            // `xmax` is 0 for a row this statement inserted, and set for one it updated.
            let rows = try await client.query(
                """
                INSERT INTO quick_replies (shortcut, text, updated_by, updated_at)
                VALUES (\(reply.shortcut), \(reply.text), \(reply.updatedBy), \(reply.updatedAt.timeIntervalSince1970))
                ON CONFLICT (shortcut) DO UPDATE SET text = excluded.text, updated_by = excluded.updated_by, updated_at = excluded.updated_at
                RETURNING (xmax = 0)
                """, logger: PostgresServer.quiet)
            var created = false
            for try await inserted in rows.decode(Bool.self) { created = inserted }
            return created
        }
    }

    package func deleteQuickReply(shortcut: String) async throws -> Bool {
        try await server.run { client in
            try await Self.count(
                client.query("DELETE FROM quick_replies WHERE shortcut = \(shortcut) RETURNING 1", logger: PostgresServer.quiet)) > 0
        }
    }
}
