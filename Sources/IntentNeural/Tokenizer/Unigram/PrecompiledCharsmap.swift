/// SentencePiece's normalisation rules as Hugging Face's `Precompiled` normaliser stores them
/// (`precompiled_charsmap`, base64): a little-endian u32 byte length, a darts-clone double
/// array trie over the UTF-8 of the source strings, then the NUL-terminated replacement strings
/// that the trie's values point into.
///
/// `normalize` reproduces Hugging Face's reading of it exactly, quirks included: text is taken
/// grapheme by grapheme; a grapheme under 6 bytes is looked up whole, else (or when that finds
/// nothing) character by character; a lookup takes the *shortest* rule that is a prefix of the
/// chunk and replaces the whole chunk with it.
struct PrecompiledCharsmap: Sendable {
    private let units: [UInt32]
    private let replacements: [UInt8]

    enum Problem: Error, Equatable {
        case tooShort, trieOutOfBounds(Int), valueOutOfBounds
    }

    init(_ bytes: [UInt8]) throws(Problem) {
        guard bytes.count >= 4 else { throw .tooShort }
        let trieBytes = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
        guard trieBytes % 4 == 0, trieBytes <= bytes.count - 4 else { throw .trieOutOfBounds(trieBytes) }
        var units: [UInt32] = []
        units.reserveCapacity(trieBytes / 4)
        var at = 4
        while at < 4 + trieBytes {
            units.append(UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24)
            at += 4
        }
        self.units = units
        replacements = Array(bytes[(4 + trieBytes)...])
    }

    /// The replacement of the shortest rule prefixing `chunk`, or nil when none does.
    func replacement(_ chunk: some Collection<UInt8>) -> ArraySlice<UInt8>? {
        guard let first = units.first else { return nil }
        var node = Int(Self.offset(first))
        for byte in chunk {
            if byte == 0 { return nil }
            node ^= Int(byte)
            guard node >= 0, node < units.count else { return nil }
            let unit = units[node]
            guard Self.label(unit) == UInt32(byte) else { return nil }
            node ^= Int(Self.offset(unit))
            if Self.hasLeaf(unit) {
                guard node >= 0, node < units.count else { return nil }
                let start = Int(units[node] & 0x7FFF_FFFF)
                guard start <= replacements.count else { return nil }
                let end = replacements[start...].firstIndex(of: 0) ?? replacements.count
                return replacements[start..<end]
            }
        }
        return nil
    }

    func normalize(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for grapheme in text {
            let bytes = grapheme.utf8
            if bytes.count < 6, let replaced = replacement(bytes) {
                out.append(contentsOf: replaced)
                continue
            }
            for scalar in grapheme.unicodeScalars {
                let scalarBytes = String(scalar).utf8
                if let replaced = replacement(scalarBytes) {
                    out.append(contentsOf: replaced)
                } else {
                    out.append(contentsOf: scalarBytes)
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hasLeaf(_ unit: UInt32) -> Bool { (unit >> 8) & 1 == 1 }
    private static func label(_ unit: UInt32) -> UInt32 { unit & (1 << 31 | 0xFF) }
    private static func offset(_ unit: UInt32) -> UInt32 { (unit >> 10) << ((unit & (1 << 9)) >> 6) }
}
