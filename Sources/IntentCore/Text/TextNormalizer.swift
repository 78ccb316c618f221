import Foundation

/// Folds a customer message into the canonical form that rules, paraphrases and
/// embedders all compare: Unicode NFKC (which also folds full-width forms to
/// half-width), lower case, apostrophes dropped ("don't" -> "dont"), every other
/// punctuation mark, symbol and emoji turned into a space, and runs of spaces
/// collapsed. "退款?", "退款", "Refund!!" and "ｒｅｆｕｎｄ" all normalise to
/// "退款" or "refund".
///
/// Letters, combining marks and digits of every script are kept, so the form is
/// safe for Chinese, Japanese, Korean and accented Latin text alike.
public enum TextNormalizer {
    public static func normalize(_ text: String) -> String {
        if let ascii = normalizeASCII(text) { return ascii }
        let folded = text.precomposedStringWithCompatibilityMapping.lowercased()
        var out = String.UnicodeScalarView()
        out.reserveCapacity(folded.unicodeScalars.count)
        var pendingSpace = false
        for scalar in folded.unicodeScalars {
            switch scalarClass(scalar) {
            case .keep:
                if pendingSpace && !out.isEmpty { out.append(" ") }
                pendingSpace = false
                out.append(scalar)
            case .drop:
                continue
            case .separator:
                pendingSpace = true
            }
        }
        return String(out)
    }

    private enum ScalarClass { case keep, drop, separator }

    private static func scalarClass(_ scalar: Unicode.Scalar) -> ScalarClass {
        switch scalar.value {
        case 0x27, 0x2019, 0x2018, 0x02BC: return .drop  // apostrophes join: "where's" -> "wheres"
        case 0x200B...0x200D, 0xFE0E, 0xFE0F: return .drop  // zero-width joiners, emoji variation selectors
        default: break
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark,
            .decimalNumber, .letterNumber, .otherNumber:
            return .keep
        default:
            return .separator
        }
    }

    /// The common case (plain ASCII) without Foundation's Unicode machinery:
    /// several times faster, and byte-for-byte the same result.
    private static func normalizeASCII(_ text: String) -> String? {
        var bytes = [UInt8]()
        bytes.reserveCapacity(text.utf8.count)
        var pendingSpace = false
        for byte in text.utf8 {
            guard byte < 0x80 else { return nil }
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                if pendingSpace && !bytes.isEmpty { bytes.append(0x20) }
                pendingSpace = false
                bytes.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                if pendingSpace && !bytes.isEmpty { bytes.append(0x20) }
                pendingSpace = false
                bytes.append(byte + 32)
            case UInt8(ascii: "'"):
                continue
            default:
                pendingSpace = true
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
