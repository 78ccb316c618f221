extension Array {
    /// The elements in consecutive arrays of `size` (the last one shorter): batches of texts for
    /// an embedder, of hashes for one SQL statement.
    package func chunks(of size: Int) -> [[Element]] {
        precondition(size > 0, "a chunk holds at least one element")
        return stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
