import Foundation
import GRDB
package import IntentChannels

extension SQLiteStateStore: QuickReplyStore {
    package func quickReplies() async throws -> [QuickReply] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT shortcut, text, updated_by, updated_at FROM quick_replies").map { row in
                QuickReply(
                    shortcut: row["shortcut"], text: row["text"], updatedBy: row["updated_by"],
                    updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
            }
        }
    }

    package func saveQuickReply(_ reply: QuickReply) async throws -> Bool {
        try await pool.write { db in
            let existed = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM quick_replies WHERE shortcut = ?)", arguments: [reply.shortcut])
            try db.execute(
                sql: """
                    INSERT INTO quick_replies (shortcut, text, updated_by, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (shortcut) DO UPDATE SET text = excluded.text, updated_by = excluded.updated_by, updated_at = excluded.updated_at
                    """,
                arguments: [reply.shortcut, reply.text, reply.updatedBy, reply.updatedAt.timeIntervalSince1970])
            return existed != true
        }
    }

    package func deleteQuickReply(shortcut: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM quick_replies WHERE shortcut = ?", arguments: [shortcut])
            return db.changesCount > 0
        }
    }
}
