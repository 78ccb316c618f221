package import Foundation
import GRDB
package import IntentChannels
package import IntentCore

extension SQLiteStateStore: CorpusEditStore {
    package func edits() async throws -> [CorpusEdit] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM corpus_edits ORDER BY number").map { row in
                let questions = try JSONDecoder().decode([String].self, from: Data((row["questions"] as String).utf8))
                return CorpusEdit(
                    number: row["number"], kind: CorpusEdit.Kind(rawValue: row["kind"]) ?? .outOfScope, entry: row["entry"],
                    questions: questions, answer: row["answer"], language: row["language"],
                    basis: row["basis"], by: row["made_by"],
                    at: Date(timeIntervalSince1970: row["made_at"]))
            }
        }
    }

    package func append(_ edit: CorpusEdit) async throws -> CorpusEdit {
        let questions = String(decoding: try JSONEncoder().encode(edit.questions), as: UTF8.self)
        return try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO corpus_edits (kind, entry, questions, answer, language, basis, made_by, made_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    edit.kind.rawValue, edit.entry, questions, edit.answer, edit.language, edit.basis, edit.by, edit.at.timeIntervalSince1970,
                ])
            var stored = edit
            stored.number = Int(db.lastInsertedRowID)
            return stored
        }
    }

    package func suggestions() async throws -> [AnswerSuggestion] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM answer_suggestions ORDER BY made_at, entry, language").map { row in
                AnswerSuggestion(
                    entry: row["entry"], language: row["language"], source: row["source"], text: row["text"], by: row["made_by"],
                    at: Date(timeIntervalSince1970: row["made_at"]), rejected: row["rejected"])
            }
        }
    }

    package func suggest(_ suggestion: AnswerSuggestion) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO answer_suggestions (entry, language, source, text, made_by, made_at, rejected) VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (entry, language) DO UPDATE SET source = excluded.source, text = excluded.text,
                        made_by = excluded.made_by, made_at = excluded.made_at, rejected = excluded.rejected
                    """,
                arguments: [
                    suggestion.entry, suggestion.language, suggestion.source, suggestion.text, suggestion.by,
                    suggestion.at.timeIntervalSince1970, suggestion.rejected,
                ])
        }
    }

    package func removeSuggestion(entry: String, language: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM answer_suggestions WHERE entry = ? AND language = ?", arguments: [entry, language])
        }
    }
}

extension SQLiteStateStore: FlowEditStore {
    package func saveFlows(text: String, by: String, at: Date) async throws -> StoredFlows {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO flow_edits (text, made_by, made_at) VALUES (?, ?, ?)", arguments: [text, by, at.timeIntervalSince1970])
            return StoredFlows(number: Int(db.lastInsertedRowID), text: text, by: by, at: at)
        }
    }

    package func latestFlows() async throws -> StoredFlows? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM flow_edits ORDER BY number DESC LIMIT 1").map { row in
                StoredFlows(number: row["number"], text: row["text"], by: row["made_by"], at: Date(timeIntervalSince1970: row["made_at"]))
            }
        }
    }
}
