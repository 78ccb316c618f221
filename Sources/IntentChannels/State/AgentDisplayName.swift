/// How an agent is shown to people: their name as they write it, in any script (`王芳`, `Zoë`),
/// while `AgentName`'s ASCII name stays the key that signs what they do. Shown as text, never as
/// markup; still refused is what would make a line lie about what it shows: control characters,
/// invisible and direction-changing ones (zero-width spaces, bidirectional overrides), spaces
/// other than single ASCII spaces between words. The API's schema states the same rule as a
/// pattern (`pattern`, from the same list).
package enum AgentDisplayName {
    package static let maxLength = 64
    package static let rule =
        "a display name is 1 to 64 characters of any script, with single spaces between words and no control, invisible or direction-changing characters"

    /// The characters refused: C0 and C1 controls, the no-break, typographic and ideographic
    /// spaces, the soft hyphen, the zero-width and bidirectional marks, embeddings, overrides and
    /// isolates, line and paragraph separators, invisible operators, the byte-order mark, and the
    /// specials block. All in the Basic Multilingual Plane, so that one pattern states them both
    /// in JSON Schema's regular expressions and in the tools that check requests against it.
    static let refused: [ClosedRange<UInt32>] = [
        0x0000...0x001F, 0x007F...0x00A0, 0x00AD...0x00AD, 0x061C...0x061C, 0x1680...0x1680, 0x180E...0x180E, 0x2000...0x200F,
        0x2028...0x202F, 0x205F...0x206F, 0x3000...0x3000, 0xFEFF...0xFEFF, 0xFFF0...0xFFFF,
    ]

    /// The rule as a JSON Schema pattern: words of allowed characters, single spaces between.
    package static var pattern: String {
        let ranges = refused.map { range in
            range.count == 1 ? escape(range.lowerBound) : escape(range.lowerBound) + "-" + escape(range.upperBound)
        }
        let word = "[^ " + ranges.joined() + "]+"
        return "^\(word)( \(word))*$"
    }

    private static func escape(_ value: UInt32) -> String {
        let hex = String(value, radix: 16, uppercase: true)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }

    /// Why `text` cannot be a display name, or nil when it can.
    package static func problem(with text: String) -> String? {
        guard !text.isEmpty else { return "the display name is empty: \(rule)" }
        guard text.unicodeScalars.count <= maxLength else { return "the display name is too long: \(rule)" }
        // Scalar by scalar, as the pattern reads it: a space may carry a combining mark as one Character.
        let words = text.unicodeScalars.split(separator: " ", omittingEmptySubsequences: false)
        let shown = words.allSatisfy { word in
            !word.isEmpty && word.allSatisfy { scalar in !refused.contains { $0.contains(scalar.value) } }
        }
        guard shown else {
            // Quoted and escaped: what is refused is what would not show as it is.
            return "\(String(reflecting: text)): \(rule)"
        }
        return nil
    }
}
