/// The pieces of a Unigram model and their log-probabilities, found by their UTF-8 bytes.
///
/// 250,000 pieces as Swift `String` keys would cost tens of megabytes and a slow load; here
/// they are one byte blob with offsets and an open-addressing hash table of piece indices
/// (about 4 MB for XLM-R's vocabulary), looked up straight from the normalised text's bytes.
struct PieceVocabulary: Sendable {
    private let blob: [UInt8]
    /// Piece `i` is `blob[offsets[i]..<offsets[i + 1]]`.
    private let offsets: [UInt32]
    let scores: [Float]
    /// Piece index + 1 per slot; 0 = empty.
    private let slots: [Int32]
    private let mask: Int
    /// Longest piece, in bytes: no lookup for a longer span can succeed.
    let longestPiece: Int

    var count: Int { scores.count }

    /// `pieces` in id order. A piece that appears twice keeps its first id (as Hugging Face's
    /// tokenizer does when it builds its table).
    init(pieces: [String], scores: [Float]) {
        precondition(pieces.count == scores.count, "one score per piece")
        var blob: [UInt8] = []
        var offsets: [UInt32] = [0]
        offsets.reserveCapacity(pieces.count + 1)
        for piece in pieces {
            blob.append(contentsOf: piece.utf8)
            offsets.append(UInt32(blob.count))
        }
        self.init(blob: blob, offsets: offsets, scores: scores)
    }

    /// Pieces already laid out as one blob with `count + 1` offsets (the E5S1 file's form).
    init(blob: [UInt8], offsets: [UInt32], scores: [Float]) {
        self.blob = blob
        self.offsets = offsets
        self.scores = scores
        var capacity = 1
        while capacity < scores.count * 2 { capacity <<= 1 }
        mask = capacity - 1
        var slots = [Int32](repeating: 0, count: capacity)
        var longest = 0
        blob.withUnsafeBufferPointer { bytes in
            for i in 0..<scores.count {
                let start = Int(offsets[i]), end = Int(offsets[i + 1])
                longest = max(longest, end - start)
                let piece = UnsafeBufferPointer(rebasing: bytes[start..<end])
                var slot = Self.hash(piece) & (capacity - 1)
                while slots[slot] != 0 {
                    if Self.equal(piece, bytes, Int(slots[slot]) - 1, offsets) { break }
                    slot = (slot + 1) & (capacity - 1)
                }
                if slots[slot] == 0 { slots[slot] = Int32(i + 1) }
            }
        }
        self.slots = slots
        longestPiece = longest
    }

    /// The index of the piece spelled by `bytes`, or nil.
    func index(of bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard bytes.count <= longestPiece else { return nil }
        return blob.withUnsafeBufferPointer { stored in
            var slot = Self.hash(bytes) & mask
            while true {
                let entry = Int(slots[slot])
                if entry == 0 { return nil }
                if Self.equal(bytes, stored, entry - 1, offsets) { return entry - 1 }
                slot = (slot + 1) & mask
            }
        }
    }

    /// What the tokens depend on: pieces and scores (for the embedder's identity).
    var fingerprint: String {
        var hash = StableHash()
        hash.add(String(decoding: blob, as: UTF8.self))
        hash.add(scores.map { "\($0.bitPattern)" }.joined(separator: ","))
        return hash.hex
    }

    /// FNV-1a over the bytes.
    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var state: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            state ^= UInt64(byte)
            state = state &* 0x100_0000_01b3
        }
        return Int(truncatingIfNeeded: state ^ (state >> 29))
    }

    @inline(__always)
    private static func equal(
        _ bytes: UnsafeBufferPointer<UInt8>, _ stored: UnsafeBufferPointer<UInt8>, _ index: Int, _ offsets: [UInt32]
    ) -> Bool {
        let start = Int(offsets[index]), end = Int(offsets[index + 1])
        guard end - start == bytes.count else { return false }
        for k in 0..<bytes.count where stored[start + k] != bytes[k] { return false }
        return true
    }
}
