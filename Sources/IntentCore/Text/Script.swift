/// Which writing system a scalar of normalised text belongs to, as far as
/// segmentation cares: CJK scripts are written without spaces, so they are cut
/// into characters; everything else is cut into words at spaces.
enum Script {
    case cjk
    case word
    case space

    init(_ scalar: Unicode.Scalar) {
        switch scalar.value {
        case 0x20: self = .space
        case 0x3040...0x30FF,  // Hiragana, Katakana
            0x3400...0x4DBF,  // CJK extension A
            0x4E00...0x9FFF,  // CJK unified ideographs
            0xAC00...0xD7AF,  // Hangul syllables
            0xF900...0xFAFF,  // CJK compatibility ideographs
            0x20000...0x2FFFF:  // CJK extensions B-F
            self = .cjk
        default: self = .word
        }
    }

    /// True when the text contains at least one CJK character.
    static func containsCJK(_ text: String) -> Bool {
        text.unicodeScalars.contains { Script($0) == .cjk }
    }
}

/// A segment of normalised text: a space-delimited word, or a run of CJK
/// characters that were written without spaces.
struct Segment: Equatable {
    enum Kind: Equatable { case word, cjk }
    var kind: Kind
    var scalars: [UInt32]

    /// Cuts normalised text into segments. "我想refund 2 items" gives
    /// `cjk(我想)`, `word(refund)`, `word(2)`, `word(items)`.
    static func split(_ normalized: String) -> [Segment] {
        var segments: [Segment] = []
        var current: [UInt32] = []
        var currentKind: Kind = .word
        func flush() {
            if !current.isEmpty { segments.append(Segment(kind: currentKind, scalars: current)) }
            current.removeAll(keepingCapacity: true)
        }
        for scalar in normalized.unicodeScalars {
            switch Script(scalar) {
            case .space:
                flush()
            case .cjk:
                if currentKind != .cjk { flush() }
                currentKind = .cjk
                current.append(scalar.value)
            case .word:
                if currentKind != .word { flush() }
                currentKind = .word
                current.append(scalar.value)
            }
        }
        flush()
        return segments
    }
}
