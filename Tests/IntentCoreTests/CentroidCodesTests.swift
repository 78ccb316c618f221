import CIndexKernels
import Testing

@testable import IntentCore

/// The approximate search's 4-bit centroids (`CentroidCodes`) and their kernel
/// (`index_nibble_dots`).
@Suite struct CentroidCodesTests {
    static let kernels = FirstPassKernel.allCases.filter { $0.isAvailable && $0.isa != nil }

    /// Every kernel against a plain loop: rows of 32 bytes (AVX-512's masked half step) to 224
    /// (three and a half steps), every remainder of a tile of four, every row in order and
    /// listed rows in any order and repeated, with nothing written past the outputs; the
    /// largest codes against the largest query codes of both signs stay exact.
    @Test(arguments: kernels)
    func nibbleDotsEqualAPlainLoop(kernel: FirstPassKernel) throws {
        let isa = try #require(kernel.isa)
        var random = SplitMix64(seed: 6)
        for rowBytes in [32, 64, 96, 192, 224] {
            for rows in [1, 2, 3, 4, 5, 7, 9, 13] {
                for extreme in [0, 1, -1] {
                    let codes = (0..<(rows * rowBytes)).map { _ in extreme == 0 ? UInt8.random(in: 0...255, using: &random) : 0xFF }
                    let query = (0..<(2 * rowBytes)).map { _ in extreme == 0 ? Int8.random(in: -127...127, using: &random) : Int8(127 * extreme) }
                    func expected(_ row: Int) -> Int32 {
                        (0..<rowBytes).reduce(Int32(0)) { sum, j in
                            let byte = codes[row * rowBytes + j]
                            return sum + Int32(byte & 15) * Int32(query[j]) + Int32(byte >> 4) * Int32(query[rowBytes + j])
                        }
                    }
                    var all = [Int32](repeating: -7, count: rows + 1)
                    index_nibble_dots(isa, codes, rowBytes, nil, rows, query, &all)
                    #expect(Array(all.prefix(rows)) == (0..<rows).map(expected), "\(kernel), \(rows) rows of \(rowBytes) bytes")
                    #expect(all.last == -7)
                    let listed: [Int32] = [Int32(rows - 1), 0, Int32(rows / 2), Int32(rows / 2), 0, Int32(rows - 1)]
                    var out = [Int32](repeating: -7, count: listed.count + 1)
                    index_nibble_dots(isa, codes, rowBytes, listed, listed.count, query, &out)
                    #expect(Array(out.prefix(listed.count)) == listed.map { expected(Int($0)) }, "\(kernel), listed of \(rows)")
                    #expect(out.last == -7)
                }
            }
        }
    }

    /// Centroids of groups of one to four rows in two blocks (40 and 100 components: rows
    /// padded to 64 and 128): each component codes as its nearest level of the row's step
    /// (clamped at ±7), in its nibble; the step misses the row by no more than the largest
    /// offset / 7 would; a group summing to zero is a zero centroid; the mean is the centroids'
    /// mean; a query's codes are its values in Int8 steps, components outside the block
    /// ignored; its score is the coded formula's, and within the coding's bound of its exact
    /// dot product with the Float centroid; a query without components in the block scores 0.
    @Test func centroidsCodeTheirRowsWithinTheBound() {
        var random = SplitMix64(seed: 14)
        let blocks = [(index: 0, components: 0..<40), (index: 1, components: 40..<140)]
        let count = 40
        var rows = DenseRows(count: count, blocks: blocks)
        for i in 0..<count {
            for (k, block) in blocks.enumerated() {
                for f in block.components {
                    // Rows 6 and 7 cancel out: their group sums to zero.
                    let value = i == 7 ? -rowsValue(rows, row: 6, block: k, component: f) : Float.random(in: -0.2...0.3, using: &random)
                    rows.set(row: i, block: k, component: f, value: value)
                }
            }
        }
        rows.quantize()
        let groups = [0..<1, 1..<3, 3..<6, 6..<8] + stride(from: 8, to: count, by: 4).map { $0..<min($0 + 4, count) }
        for (k, block) in blocks.enumerated() {
            let scale: Float = k == 0 ? 0.6 : 0.8
            let centroids = CentroidCodes(centroidsOf: rows, block: k, groups: groups, scale: scale)
            let width = block.components.count
            #expect(centroids.rowBytes == (k == 0 ? 32 : 64) && centroids.count == groups.count)
            let exact = groups.map { group in
                let sum = (0..<width).map { c in
                    group.reduce(0.0) { $0 + Double(rowsValue(rows, row: $1, block: k, component: block.components.lowerBound + c)) }
                }
                let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
                return sum.map { norm > 0 ? Float($0 * Double(scale) / norm) : 0 }
            }
            #expect(exact[3].allSatisfy { $0 == 0 }, "a group summing to zero: a zero centroid")
            #expect(centroids.mean.count == 2 * centroids.rowBytes && centroids.mean[width...].allSatisfy { $0 == 0 })
            for c in 0..<width {
                let average = exact.reduce(0.0) { $0 + Double($1[c]) } / Double(groups.count)
                #expect(abs(Double(centroids.mean[c]) - average) < 1e-6, "block \(k), mean component \(c)")
            }
            for (g, centroid) in exact.enumerated() {
                let step = centroids.steps[g]
                let levels = (0..<width).map { c -> Int in
                    let byte = centroids.codes[g * centroids.rowBytes + c % centroids.rowBytes]
                    return Int(c < centroids.rowBytes ? byte & 15 : byte >> 4) - 8
                }
                let offsets = (0..<width).map { centroid[$0] - centroids.mean[$0] }
                var error: Float = 0
                var widest: Float = 0
                let largest = offsets.map(abs).max()!
                for c in 0..<width {
                    let nearest = step > 0 ? max(-7, min(7, Int((offsets[c] / step).rounded()))) : 0
                    #expect(levels[c] == nearest, "block \(k), row \(g), component \(c)")
                    error += (offsets[c] - step * Float(levels[c])) * (offsets[c] - step * Float(levels[c]))
                    let plain = largest / 7
                    let w = offsets[c] - plain * (offsets[c] / plain).rounded()
                    widest += w * w
                }
                #expect(error <= widest * 1.000_01 + 1e-12, "block \(k), row \(g): the chosen step codes at least as well")
            }
            for _ in 0..<10 {
                let values = (0..<width).map { _ in Float.random(in: -0.3...0.3, using: &random) }
                let own = values.enumerated().map { (block.components.lowerBound + $0.offset, $0.element) }
                let query = centroids.query(own)
                // Another block's components change nothing.
                let other = blocks[1 - k].components.map { ($0, Float(0.25)) }
                #expect(centroids.query((own + other).sorted { $0.0 < $1.0 }).codes == query.codes)
                let largest = values.map(abs).max()!
                #expect(query.step == largest / 127)
                #expect(query.codes[width...].allSatisfy { $0 == 0 })
                for c in 0..<width { #expect(query.codes[c] == Int8((values[c] / query.step).rounded()), "query component \(c)") }
                var scores = [Float](repeating: 0, count: groups.count)
                centroids.addScores(query, kernel: .portable, to: &scores)
                let norm = values.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
                for (g, centroid) in exact.enumerated() {
                    let step = centroids.steps[g]
                    var residual: Float = 0
                    var coded: Float = 0
                    for c in 0..<width {
                        let byte = centroids.codes[g * centroids.rowBytes + c % centroids.rowBytes]
                        let level = Float(Int(c < centroids.rowBytes ? byte & 15 : byte >> 4) - 8)
                        let r = centroid[c] - centroids.mean[c] - step * level
                        residual += r * r
                        coded += abs(level)
                    }
                    let levels = (0..<width).map { c -> Int32 in
                        let byte = centroids.codes[g * centroids.rowBytes + c % centroids.rowBytes]
                        return Int32(c < centroids.rowBytes ? byte & 15 : byte >> 4) - 8
                    }
                    let product = (0..<width).reduce(Int32(0)) { $0 + Int32(query.codes[$1]) * levels[$1] }
                    #expect(scores[g] == 0 + (query.meanDot + query.step * step * Float(product)), "block \(k), row \(g): the coded formula")
                    let bound = norm * residual.squareRoot() + query.step / 2 * step * coded + 1e-4
                    let dot = zip(values, centroid).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                    #expect(abs(scores[g] - dot) <= bound, "block \(k), row \(g)")
                }
            }
            let silent = centroids.query(blocks[1 - k].components.map { ($0, Float(0.25)) })
            #expect(silent.step == 0 && silent.codes.allSatisfy { $0 == 0 } && silent.meanDot == 0)
            var scores = [Float](repeating: 0, count: groups.count)
            centroids.addScores(silent, kernel: .portable, to: &scores)
            #expect(scores.allSatisfy { $0 == 0 }, "block \(k): a query without components in the block")
        }
    }

    func rowsValue(_ rows: DenseRows, row: Int, block k: Int, component: Int) -> Float {
        rows.floats[rows.position(row: row, block: k, component: component)]
    }
}
