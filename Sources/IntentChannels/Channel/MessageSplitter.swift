import Foundation

/// Splits a reply longer than the API's limit into messages at sentence boundaries (else at a
/// line break or space, else hard), each at most `limit` characters. The runtime queues replies
/// split at WhatsApp's 4,096; a channel whose platform takes less (Messenger 2,000, Instagram
/// 1,000) splits each of them again at its own limit.
package enum MessageSplitter {
    static let sentenceEnds: Set<Character> = [".", "!", "?", "。", "！", "？", "\n"]

    package static func split(_ text: String, limit: Int = GraphAPI.maxTextLength) -> [String] {
        var parts: [String] = []
        var rest = Substring(text)
        while rest.count > limit {
            let window = rest.prefix(limit)
            let cut =
                window.lastIndex(where: { sentenceEnds.contains($0) }).map { window.index(after: $0) }
                ?? window.lastIndex(where: { $0 == " " }).map { window.index(after: $0) }
                ?? window.endIndex
            let part = rest[..<cut].trimmingCharacters(in: .whitespacesAndNewlines)
            if !part.isEmpty { parts.append(part) }
            rest = rest[cut...].drop { $0 == " " || $0 == "\n" }
        }
        let last = rest.trimmingCharacters(in: .whitespacesAndNewlines)
        if !last.isEmpty || parts.isEmpty { parts.append(last) }
        return parts
    }
}
