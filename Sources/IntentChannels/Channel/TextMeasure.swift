/// How a platform counts a text's length against its limit. A count in the wrong unit lets a
/// text through that the platform refuses: an emoji is one character, one or more Unicode
/// scalars, and two UTF-16 code units (Telegram's count).
package enum TextMeasure: Sendable, Equatable {
    /// Characters as a person sees them (Swift's `Character`): Meta's count.
    case characters
    /// Unicode scalars: `/match`'s count (`max_message_chars`), and the web chat's.
    case unicodeScalars
    /// UTF-16 code units: Telegram's count.
    case utf16

    /// What it counts, in words.
    package var unit: String {
        switch self {
        case .characters: "characters"
        case .unicodeScalars: "Unicode scalars"
        case .utf16: "UTF-16 code units"
        }
    }

    package func length(of character: Character) -> Int {
        switch self {
        case .characters: 1
        case .unicodeScalars: character.unicodeScalars.count
        case .utf16: character.utf16.count
        }
    }

    package func length(of text: some StringProtocol) -> Int {
        switch self {
        case .characters: text.count
        case .unicodeScalars: text.unicodeScalars.count
        case .utf16: text.utf16.count
        }
    }
}
