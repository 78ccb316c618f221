import Foundation

/// A keyword rule: when a message matches, it answers with an FAQ entry or a
/// literal reply, without semantic matching.
///
/// Matching is on normalised text (see `TextNormalizer`), and patterns of the
/// `contains_*` and `exact` modes are normalised the same way, so "人工",
/// "Human Agent!" and "ｈｕｍａｎ ａｇｅｎｔ" are one pattern. A `contains` pattern
/// whose edge is a Latin letter or digit must meet a word edge there ("hi" does
/// not fire inside "this"); CJK edges need no boundary, because CJK text has no
/// spaces (a `\b` would never fire inside "我要人工服务").
public struct KeywordRule: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        case containsAny = "contains_any"
        case containsAll = "contains_all"
        case exact
        case regex
    }

    /// `before`: checked ahead of semantic matching and wins over it (hand-over
    /// phrases such as "人工"). `fallback`: answers only when semantic matching
    /// found nothing confident, or its provider is down.
    public enum Stage: String, Sendable, CaseIterable {
        case before
        case fallback
    }

    public enum Reply: Sendable, Equatable {
        case faq(String)
        case answer(String)
    }

    public var id: String
    public var mode: Mode
    /// As written in the rules file.
    public var patterns: [String]
    public var reply: Reply
    /// Higher wins when several rules of a stage match; ties go to file order.
    public var priority: Int
    public var stage: Stage
    /// A reply by this rule hands the conversation to a person (channels mute the bot).
    public var handover: Bool
    public var location: SourceLocation?

    private let compiled: Compiled

    /// Fails when a regex pattern does not compile or a pattern normalises to nothing.
    public init(
        id: String, mode: Mode, patterns: [String], reply: Reply, priority: Int = 0, stage: Stage = .fallback,
        handover: Bool = false, location: SourceLocation? = nil
    ) throws(PatternError) {
        self.id = id
        self.mode = mode
        self.patterns = patterns
        self.reply = reply
        self.priority = priority
        self.stage = stage
        self.handover = handover
        self.location = location
        switch mode {
        case .regex:
            var expressions: [NSRegularExpression] = []
            for (index, pattern) in patterns.enumerated() {
                do {
                    expressions.append(try NSRegularExpression(pattern: pattern, options: [.caseInsensitive]))
                } catch {
                    throw PatternError(index: index, message: "invalid regular expression '\(pattern)'")
                }
            }
            compiled = .regex(RegexList(expressions))
        case .containsAny, .containsAll, .exact:
            var terms: [[Unicode.Scalar]] = []
            for (index, pattern) in patterns.enumerated() {
                let normalized = TextNormalizer.normalize(pattern)
                if normalized.isEmpty {
                    throw PatternError(index: index, message: "'\(pattern)' has no letters or digits left after normalisation")
                }
                terms.append(Array(normalized.unicodeScalars))
            }
            compiled = .terms(terms)
        }
    }

    public struct PatternError: Error, Sendable {
        public var index: Int
        public var message: String
    }

    /// Whether the rule fires on already-normalised text.
    public func matches(normalized text: String) -> Bool {
        switch compiled {
        case .regex(let list):
            let range = NSRange(text.startIndex..., in: text)
            return list.expressions.contains { $0.firstMatch(in: text, range: range) != nil }
        case .terms(let terms):
            let scalars = Array(text.unicodeScalars)
            switch mode {
            case .exact: return terms.contains { $0 == scalars }
            case .containsAll: return terms.allSatisfy { Self.contains(scalars, term: $0) }
            default: return terms.contains { Self.contains(scalars, term: $0) }
            }
        }
    }

    static func contains(_ text: [Unicode.Scalar], term: [Unicode.Scalar]) -> Bool {
        guard !term.isEmpty, term.count <= text.count else { return false }
        let needsStartEdge = Script(term[0]) == .word
        let needsEndEdge = Script(term[term.count - 1]) == .word
        var start = 0
        while start + term.count <= text.count {
            if text[start] == term[0] && text[start..<start + term.count].elementsEqual(term) {
                let end = start + term.count
                let startOK = !needsStartEdge || start == 0 || Script(text[start - 1]) != .word
                let endOK = !needsEndEdge || end == text.count || Script(text[end]) != .word
                if startOK && endOK { return true }
            }
            start += 1
        }
        return false
    }

    private enum Compiled: Sendable {
        case terms([[Unicode.Scalar]])
        case regex(RegexList)
    }
}

/// NSRegularExpression is immutable after creation and documented as safe to
/// use from several threads at once.
private final class RegexList: @unchecked Sendable {
    let expressions: [NSRegularExpression]
    init(_ expressions: [NSRegularExpression]) { self.expressions = expressions }
}
