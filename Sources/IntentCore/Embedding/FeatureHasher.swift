/// Deterministic feature hashing ("the hashing trick") into a fixed number of
/// buckets, with a sign bit so that colliding features cancel on average
/// instead of piling up.
///
/// Hashes are FNV-1a over Unicode scalars, finished with a 64-bit mixer: stable
/// across processes and platforms (unlike `Hasher`, which is seeded per run).
struct FeatureHasher {
    let bucketMask: Int

    init(dimension: Int) {
        precondition(dimension > 0 && dimension & (dimension - 1) == 0, "dimension must be a power of two")
        bucketMask = dimension - 1
    }

    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01b3

    @inline(__always)
    static func hash<C: Collection>(_ scalars: C, seed: UInt64) -> UInt64 where C.Element == UInt32 {
        var h = offsetBasis ^ seed
        for s in scalars {
            h = (h ^ UInt64(s)) &* prime
        }
        return h
    }

    @inline(__always)
    static func combine(_ a: UInt64, _ b: UInt64, seed: UInt64) -> UInt64 {
        mix(a ^ (b &* 0x9E37_79B9_7F4A_7C15) ^ seed)
    }

    /// The finaliser of MurmurHash3: spreads every input bit over the output.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var k = value
        k ^= k >> 33
        k = k &* 0xff51_afd7_ed55_8ccd
        k ^= k >> 33
        k = k &* 0xc4ce_b9fe_1a85_ec53
        k ^= k >> 33
        return k
    }

    @inline(__always)
    func add(_ hash: UInt64, weight: Float, into vector: inout UnsafeMutableBufferPointer<Float>) {
        let mixed = FeatureHasher.mix(hash)
        let bucket = Int(truncatingIfNeeded: mixed) & bucketMask
        vector[bucket] += (mixed >> 63) == 0 ? weight : -weight
    }
}
