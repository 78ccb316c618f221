import Foundation

/// The text normalisation a Unigram (SentencePiece) model was trained with, as a sequence of
/// steps: Hugging Face's `Precompiled` rules or a per-character table (the E5S1 file's stand-in
/// for them), then replacements such as collapsing runs of spaces.
public struct UnigramNormalizer: Sendable {
    enum Step: Sendable {
        case precompiled(PrecompiledCharsmap)
        /// Code point -> replacement code points (empty: deleted).
        case characterTable([UInt32: [Unicode.Scalar]])
        /// Runs of two or more spaces become one (the `Replace` of `" {2,}"` every XLM-R tokenizer has).
        case collapseSpaces
        case replaceLiteral(String, with: String)
        case replaceRegex(Pattern, with: String)
        case strip(left: Bool, right: Bool)
        case nfkc
        case nfc
        case lowercase
    }

    /// A compiled regular expression (immutable once made, so safe to share).
    struct Pattern: @unchecked Sendable {
        let source: String
        let expression: NSRegularExpression
    }

    let steps: [Step]

    public func normalize(_ text: String) -> String {
        var text = text
        for step in steps {
            switch step {
            case .precompiled(let map):
                text = map.normalize(text)
            case .characterTable(let table):
                var scalars = String.UnicodeScalarView()
                for scalar in text.unicodeScalars {
                    if let replacement = table[scalar.value] {
                        scalars.append(contentsOf: replacement)
                    } else {
                        scalars.append(scalar)
                    }
                }
                text = String(scalars)
            case .collapseSpaces:
                var scalars = String.UnicodeScalarView()
                var previousSpace = false
                for scalar in text.unicodeScalars {
                    let space = scalar == " "
                    if !(space && previousSpace) { scalars.append(scalar) }
                    previousSpace = space
                }
                text = String(scalars)
            case .replaceLiteral(let target, let replacement):
                text = text.replacingOccurrences(of: target, with: replacement)
            case .replaceRegex(let pattern, let replacement):
                let range = NSRange(text.startIndex..., in: text)
                text = pattern.expression.stringByReplacingMatches(
                    in: text, range: range, withTemplate: NSRegularExpression.escapedTemplate(for: replacement))
            case .strip(let left, let right):
                var scalars = Substring(text).unicodeScalars[...]
                if left { while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() } }
                if right { while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() } }
                text = String(String.UnicodeScalarView(scalars))
            case .nfkc:
                text = text.precomposedStringWithCompatibilityMapping
            case .nfc:
                text = text.precomposedStringWithCanonicalMapping
            case .lowercase:
                text = text.lowercased()
            }
        }
        return text
    }

    /// Names the steps (part of the embedder's identity).
    var summary: String {
        steps.map { step in
            switch step {
            case .precompiled: "precompiled"
            case .characterTable(let table): "table\(table.count)"
            case .collapseSpaces: "spaces"
            case .replaceLiteral(let target, let replacement): "replace(\(target)->\(replacement))"
            case .replaceRegex(let pattern, let replacement): "regex(\(pattern.source)->\(replacement))"
            case .strip(let left, let right): "strip(\(left),\(right))"
            case .nfkc: "nfkc"
            case .nfc: "nfc"
            case .lowercase: "lower"
            }
        }.joined(separator: "+")
    }
}
