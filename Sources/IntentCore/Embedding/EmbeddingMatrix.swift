/// `count` vectors of `dimension` Float32 components, in one of two layouts:
///
/// - dense: row-major in one contiguous buffer (neural and remote vectors);
/// - sparse: compressed rows, only the non-zero components (lexical vectors use about
///   100 of 2,048 components, so 50,000 of them take 40 MB sparse instead of 410 MB dense).
///
/// The layout is an implementation detail: `row(_:)`, `storage` and equality read the same
/// either way. Code that only needs the non-zeros (the index) uses `forEachNonZero`.
public struct EmbeddingMatrix: Sendable, Equatable {
    public enum Layout: Sendable { case dense, sparse }

    public let dimension: Int
    public let layout: Layout
    private var dense: [Float] = []
    /// Sparse rows: row `i` holds `columns/values[rowStart[i]..<rowStart[i + 1]]`.
    private var rowStart: [Int] = [0]
    private var columns: [Int32] = []
    private var values: [Float] = []

    public init(dimension: Int, storage: [Float] = []) {
        precondition(dimension > 0 && storage.count % dimension == 0, "storage must hold whole rows")
        self.dimension = dimension
        self.layout = .dense
        self.dense = storage
    }

    /// An empty matrix in `layout`; rows are added with `append(row:)`.
    public init(dimension: Int, layout: Layout, reservingRows rows: Int = 0) {
        precondition(dimension > 0, "dimension must be positive")
        self.dimension = dimension
        self.layout = layout
        if layout == .dense { dense.reserveCapacity(rows * dimension) } else { rowStart.reserveCapacity(rows + 1) }
    }

    /// Room for `nonZeros` more non-zero components in this sparse matrix (appending past it
    /// doubles the storage, and for a moment holds both copies).
    package mutating func reserveCapacity(nonZeros: Int) {
        precondition(layout == .sparse, "a sparse matrix")
        columns.reserveCapacity(columns.count + nonZeros)
        values.reserveCapacity(values.count + nonZeros)
    }

    /// A dense matrix of `rows` zero rows, to be filled with `setRow`.
    package init(dimension: Int, zeroRows rows: Int) {
        self.init(dimension: dimension, storage: [Float](repeating: 0, count: rows * dimension))
    }

    /// Sets row `index` of this dense matrix to row `row` of `other` (of either layout), in place.
    package mutating func setRow(_ index: Int, from other: EmbeddingMatrix, row: Int) {
        precondition(layout == .dense && other.dimension == dimension, "a dense matrix of the same dimension")
        let base = index * dimension
        dense.withUnsafeMutableBufferPointer { target in
            if other.layout == .dense {
                let from = row * dimension
                other.dense.withUnsafeBufferPointer { source in
                    for f in 0..<dimension { target[base + f] = source[from + f] }
                }
            } else {
                for f in 0..<dimension { target[base + f] = 0 }
                other.forEachNonZero(row: row) { target[base + $0] = $1 }
            }
        }
    }

    public var count: Int { layout == .dense ? dense.count / dimension : rowStart.count - 1 }

    /// All rows, row-major (a sparse matrix is expanded).
    public var storage: [Float] {
        guard layout == .sparse else { return dense }
        var out = [Float](repeating: 0, count: count * dimension)
        for i in 0..<count {
            for k in rowStart[i]..<rowStart[i + 1] { out[i * dimension + Int(columns[k])] = values[k] }
        }
        return out
    }

    public func row(_ index: Int) -> ArraySlice<Float> {
        guard layout == .sparse else { return dense[index * dimension..<(index + 1) * dimension] }
        var out = [Float](repeating: 0, count: dimension)
        for k in rowStart[index]..<rowStart[index + 1] { out[Int(columns[k])] = values[k] }
        return out[...]
    }

    /// Calls `body(component, value)` for each non-zero component of row `index`, in order.
    @inline(__always)
    public func forEachNonZero(row index: Int, _ body: (Int, Float) -> Void) {
        if layout == .sparse {
            for k in rowStart[index]..<rowStart[index + 1] { body(Int(columns[k]), values[k]) }
        } else {
            let base = index * dimension
            for f in 0..<dimension where dense[base + f] != 0 { body(f, dense[base + f]) }
        }
    }

    public mutating func append(row: some Collection<Float>) {
        precondition(row.count == dimension, "row has \(row.count) floats, expected \(dimension)")
        if layout == .dense {
            dense.append(contentsOf: row)
        } else {
            for (f, value) in row.enumerated() where value != 0 {
                columns.append(Int32(f))
                values.append(value)
            }
            rowStart.append(columns.count)
        }
    }

    /// Appends a row given by its non-zero components (ascending).
    public mutating func append(nonZeros: some Sequence<(Int, Float)>) {
        if layout == .dense {
            var row = [Float](repeating: 0, count: dimension)
            for (f, value) in nonZeros { row[f] = value }
            dense.append(contentsOf: row)
        } else {
            for (f, value) in nonZeros where value != 0 {
                precondition(f >= 0 && f < dimension, "component \(f) outside 0..<\(dimension)")
                columns.append(Int32(f))
                values.append(value)
            }
            rowStart.append(columns.count)
        }
    }

    public mutating func append(contentsOf other: EmbeddingMatrix) {
        precondition(other.dimension == dimension, "dimension mismatch")
        if layout == .dense && other.layout == .dense {
            dense.append(contentsOf: other.dense)
        } else {
            for i in 0..<other.count {
                var nonZeros: [(Int, Float)] = []
                other.forEachNonZero(row: i) { nonZeros.append(($0, $1)) }
                append(nonZeros: nonZeros)
            }
        }
    }

    public static func == (a: EmbeddingMatrix, b: EmbeddingMatrix) -> Bool {
        a.dimension == b.dimension && a.count == b.count && a.storage == b.storage
    }
}
