package import Foundation

/// A canned answer the people of the inbox insert by its shortcut (`/refund`). Its text may
/// name the contact (`{{contact.name}}`, `{{contact.<key>}}`), filled in when it is sent
/// (`QuickReplyText.fill`), not when it is stored.
package struct QuickReply: Sendable, Equatable {
    /// 1 to 32 ASCII letters, digits, `_` or `-` (typed in any keyboard layout, and safe in a
    /// URL path), stored without the leading `/` typed before it.
    package var shortcut: String
    package var text: String
    /// Who saved it last.
    package var updatedBy: String
    package var updatedAt: Date

    package init(shortcut: String, text: String, updatedBy: String, updatedAt: Date) {
        self.shortcut = shortcut
        self.text = text
        self.updatedBy = updatedBy
        self.updatedAt = updatedAt
    }

    package static let maxShortcutLength = 32
    /// One WhatsApp message (a longer reply would go out as several).
    package static let maxTextLength = 4_096

    /// The shortcut as stored: `raw` without one leading `/`, when the rest is 1 to 32 ASCII
    /// letters, digits, `_` or `-`; nil otherwise.
    package static func shortcut(_ raw: String) -> String? {
        let shortcut = raw.hasPrefix("/") ? String(raw.dropFirst()) : raw
        guard (1...maxShortcutLength).contains(shortcut.unicodeScalars.count),
            shortcut.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") })
        else { return nil }
        return shortcut
    }

    /// Whether the shortcut or the text holds `query`, case-insensitively (a leading `/` of the
    /// query is the shortcut's, and ignored).
    package func matches(_ query: String) -> Bool {
        let query = query.hasPrefix("/") ? String(query.dropFirst()) : query
        guard !query.isEmpty else { return true }
        return shortcut.range(of: query, options: [.caseInsensitive]) != nil || text.range(of: query, options: [.caseInsensitive]) != nil
    }
}

/// Where the quick replies live: the state store, SQLite or PostgreSQL, held to one contract.
package protocol QuickReplyStore: Sendable {
    /// Every quick reply, in no particular order.
    func quickReplies() async throws -> [QuickReply]
    /// Stores `reply`, replacing the one with its shortcut; true when there was none.
    func saveQuickReply(_ reply: QuickReply) async throws -> Bool
    /// Deletes the quick reply with this shortcut; false when there was none.
    func deleteQuickReply(shortcut: String) async throws -> Bool
}

extension QuickReplyStore {
    /// The quick replies whose shortcut or text holds `query` (all when nil or empty), by shortcut.
    package func quickReplies(matching query: String?) async throws -> [QuickReply] {
        try await quickReplies().filter { reply in query.map(reply.matches) ?? true }.sorted { $0.shortcut < $1.shortcut }
    }
}
