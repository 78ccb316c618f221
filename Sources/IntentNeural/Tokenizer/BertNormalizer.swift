import Foundation

/// The text clean-up BERT tokenizers apply before splitting, in the order the Hugging Face
/// `tokenizers` BertNormalizer applies it: drop control characters and turn every
/// whitespace into a space; put spaces around each CJK ideograph (so each becomes a
/// token of its own); strip accents (NFD, then drop non-spacing marks); lower-case.
public struct BertNormalizer: Sendable, Equatable {
    public var cleanText = true
    public var handleChineseCharacters = true
    public var stripAccents = true
    public var lowercase = true

    public init(cleanText: Bool = true, handleChineseCharacters: Bool = true, stripAccents: Bool = true, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseCharacters = handleChineseCharacters
        self.stripAccents = stripAccents
        self.lowercase = lowercase
    }

    public func normalize(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if cleanText {
                if scalar.value == 0 || scalar.value == 0xFFFD || Self.isControl(scalar) { continue }
                if Self.isWhitespace(scalar) {
                    scalars.append(" ")
                    continue
                }
            }
            if handleChineseCharacters && Self.isCJKIdeograph(scalar) {
                scalars.append(" ")
                scalars.append(scalar)
                scalars.append(" ")
            } else {
                scalars.append(scalar)
            }
        }
        var result = String(scalars)
        if stripAccents {
            var stripped = String.UnicodeScalarView()
            for scalar in result.decomposedStringWithCanonicalMapping.unicodeScalars
            where scalar.properties.generalCategory != .nonspacingMark {
                stripped.append(scalar)
            }
            result = String(stripped)
        }
        if lowercase {
            // Scalar by scalar, as `tokenizers` does (no context-sensitive final sigma).
            var lowered = ""
            lowered.reserveCapacity(result.utf8.count)
            for scalar in result.unicodeScalars {
                if scalar.isASCII {
                    lowered.unicodeScalars.append(scalar.value >= 0x41 && scalar.value <= 0x5A ? Unicode.Scalar(scalar.value + 32)! : scalar)
                } else {
                    lowered += scalar.properties.lowercaseMapping
                }
            }
            result = lowered
        }
        return result
    }

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case " ", "\t", "\n", "\r": return true
        default: return scalar.properties.isWhitespace
        }
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\t", "\n", "\r": return false
        default:
            switch scalar.properties.generalCategory {
            case .control, .format, .surrogate, .privateUse, .unassigned: return true
            default: return false
            }
        }
    }

    /// The CJK Unified Ideograph blocks BERT treats as one token per character.
    static func isCJKIdeograph(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
            0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
