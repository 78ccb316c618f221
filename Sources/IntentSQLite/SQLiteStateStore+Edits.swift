import Foundation
import GRDB
package import IntentCore

extension SQLiteStateStore: CorpusEditStore {
    package func edits() async throws -> [CorpusEdit] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM corpus_edits ORDER BY number").map { row in
                let questions = try JSONDecoder().decode([String].self, from: Data((row["questions"] as String).utf8))
                return CorpusEdit(
                    number: row["number"], kind: CorpusEdit.Kind(rawValue: row["kind"]) ?? .outOfScope, entry: row["entry"],
                    questions: questions, answer: row["answer"], language: row["language"], by: row["made_by"],
                    at: Date(timeIntervalSince1970: row["made_at"]))
            }
        }
    }

    package func append(_ edit: CorpusEdit) async throws -> CorpusEdit {
        let questions = String(decoding: try JSONEncoder().encode(edit.questions), as: UTF8.self)
        return try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO corpus_edits (kind, entry, questions, answer, language, made_by, made_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    edit.kind.rawValue, edit.entry, questions, edit.answer, edit.language, edit.by, edit.at.timeIntervalSince1970,
                ])
            var stored = edit
            stored.number = Int(db.lastInsertedRowID)
            return stored
        }
    }
}
