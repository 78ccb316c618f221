import Foundation

/// Splits a reply longer than a channel takes into messages at sentence boundaries (else at a
/// line break or space, else hard, whole characters only), each within the channel's
/// `maxTextLength` as its `textMeasure` counts. The runtime splits before queuing, so that each
/// part is an outbox item of its own: sent exactly once, retried alone, paced like any message.
package enum MessageSplitter {
    static let sentenceEnds: Set<Character> = [".", "!", "?", "。", "！", "？", "\n"]

    package static func split(_ text: String, limit: Int, measure: TextMeasure = .characters) -> [String] {
        var parts: [String] = []
        var rest = Substring(text)
        while measure.length(of: rest) > limit {
            var end = rest.startIndex
            var used = 0
            for index in rest.indices {
                used += measure.length(of: rest[index])
                if used > limit { break }
                end = rest.index(after: index)
            }
            if end == rest.startIndex { end = rest.index(after: end) }  // one character over the limit alone: it goes as it is
            let window = rest[..<end]
            let cut =
                window.lastIndex(where: { sentenceEnds.contains($0) }).map { window.index(after: $0) }
                ?? window.lastIndex(of: " ").map { window.index(after: $0) }
                ?? window.endIndex
            let part = rest[..<cut].trimmingCharacters(in: .whitespacesAndNewlines)
            if !part.isEmpty { parts.append(part) }
            rest = rest[cut...].drop { $0 == " " || $0 == "\n" }
        }
        let last = rest.trimmingCharacters(in: .whitespacesAndNewlines)
        if !last.isEmpty || parts.isEmpty { parts.append(last) }
        return parts
    }

    /// A text, buttons or list draft as the messages that carry it within the limit: the first
    /// quotes what the draft quoted, the last keeps the buttons or list (earlier parts are text),
    /// and each keeps the draft's origin and basis. A draft within the limit, and every other
    /// kind, stays as it is.
    package static func split(_ draft: OutboundDraft, limit: Int, measure: TextMeasure) -> [OutboundDraft] {
        guard [.text, .buttons, .list].contains(draft.kind), measure.length(of: draft.body) > limit else { return [draft] }
        let parts = split(draft.body, limit: limit, measure: measure)
        return parts.enumerated().map { index, part in
            let last = index == parts.count - 1
            return OutboundDraft(
                kind: last ? draft.kind : .text, body: part, context: index == 0 ? draft.context : nil, options: last ? draft.options : [],
                origin: draft.origin, basis: draft.basis)
        }
    }
}
