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

    /// A channel's limits: its text's, and a message with buttons or a list's when lower.
    package struct Limits: Sendable {
        var text: Int
        var measure: TextMeasure
        var choice: (length: Int, measure: TextMeasure)?

        package init(text: Int, measure: TextMeasure, choice: (length: Int, measure: TextMeasure)? = nil) {
            self.text = text
            self.measure = measure
            self.choice = choice
        }
    }

    /// A text, buttons or list draft as the messages that carry it within the limit: the first
    /// quotes what the draft quoted, the last keeps the buttons or list (earlier parts are text),
    /// and each keeps the draft's origin and basis. A draft within the limit, and every other
    /// kind, stays as it is.
    package static func split(_ draft: OutboundDraft, limit: Int, measure: TextMeasure) -> [OutboundDraft] {
        split(draft, limits: Limits(text: limit, measure: measure))
    }

    /// The same within `limits`: a choice whose text fits a text message but not the choice's
    /// own limit sends its text first and the choice with the last part that fits it.
    package static func split(_ draft: OutboundDraft, limits: Limits) -> [OutboundDraft] {
        guard [.text, .buttons, .list].contains(draft.kind) else { return [draft] }
        let choice = draft.kind == .text ? nil : limits.choice
        let fitsChoice = choice.map { $0.measure.length(of: draft.body) <= $0.length } ?? true
        guard limits.measure.length(of: draft.body) > limits.text || !fitsChoice else { return [draft] }
        var parts = split(draft.body, limit: limits.text, measure: limits.measure)
        if let choice, let last = parts.last, choice.measure.length(of: last) > choice.length {
            parts.removeLast()
            parts += split(last, limit: choice.length, measure: choice.measure)
        }
        return parts.enumerated().map { index, part in
            let last = index == parts.count - 1
            return OutboundDraft(
                kind: last ? draft.kind : .text, body: part, context: index == 0 ? draft.context : nil, options: last ? draft.options : [],
                origin: draft.origin, basis: draft.basis)
        }
    }
}
