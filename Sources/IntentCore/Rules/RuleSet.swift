/// The keyword rules of a corpus, ordered for evaluation: per stage, highest
/// priority first, ties in file order. The first rule that matches answers.
public struct RuleSet: Sendable {
    public let before: [KeywordRule]
    public let fallback: [KeywordRule]

    public init(_ rules: [KeywordRule]) {
        let ordered = rules.enumerated().sorted {
            $0.element.priority != $1.element.priority ? $0.element.priority > $1.element.priority : $0.offset < $1.offset
        }.map(\.element)
        before = ordered.filter { $0.stage == .before }
        fallback = ordered.filter { $0.stage == .fallback }
    }

    public func firstMatch(normalized text: String, stage: KeywordRule.Stage) -> KeywordRule? {
        guard !text.isEmpty else { return nil }
        return (stage == .before ? before : fallback).first { $0.matches(normalized: text) }
    }
}
