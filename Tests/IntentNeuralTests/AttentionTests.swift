import Foundation
import Testing

@testable import IntentNeural

/// The attention kernel against softmax(Q Kᵀ / √d) V computed here in doubles, head by head,
/// on sequence lengths and head sizes that are and are not multiples of the vector widths.
@Suite struct AttentionTests {
    @Test func everyHeadEqualsThePlainFormula() {
        let shapes = [(1, 12, 32), (3, 12, 32), (16, 12, 32), (17, 2, 20), (40, 3, 8), (5, 1, 7)]
        for (tokens, heads, headSize) in shapes {
            let hidden = heads * headSize
            var random = UInt64(11)
            func next() -> Float {
                random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(Int(random >> 40) % 2001 - 1000) / 250
            }
            let qkv = (0..<tokens * 3 * hidden).map { _ in next() }
            var context = [Float](repeating: .nan, count: tokens * hidden + 16)
            var scratch = [Float](repeating: 0, count: Kernels.attentionScratchCount(tokens: tokens, headSize: headSize))
            Kernels.attention(qkv, tokens: tokens, heads: heads, headSize: headSize, into: &context, scratch: &scratch)
            let shape = "\(tokens) tokens, \(heads) heads of \(headSize)"
            var worst: Double = 0
            for head in 0..<heads {
                func at(_ t: Int, _ part: Int, _ d: Int) -> Double { Double(qkv[t * 3 * hidden + part * hidden + head * headSize + d]) }
                for i in 0..<tokens {
                    var scores = (0..<tokens).map { j in
                        (0..<headSize).reduce(0.0) { $0 + at(i, 0, $1) * at(j, 1, $1) } / Double(headSize).squareRoot()
                    }
                    let top = scores.max()!
                    scores = scores.map { Foundation.exp($0 - top) }
                    let sum = scores.reduce(0, +)
                    for d in 0..<headSize {
                        let expected = (0..<tokens).reduce(0.0) { $0 + scores[$1] / sum * at($1, 2, d) }
                        let magnitude = (0..<tokens).reduce(0.0) { $0 + scores[$1] / sum * abs(at($1, 2, d)) }
                        worst = max(worst, abs(Double(context[i * hidden + head * headSize + d]) - expected) / max(magnitude, 1e-30))
                    }
                }
            }
            // Float32 rounding of scores up to |q·k| ≈ 100 moves the weights by ~1e-5 relative.
            #expect(worst < 1e-4, "\(shape): error relative to the weighted magnitudes \(worst)")
            #expect(context[(tokens * hidden)...].allSatisfy { $0.isNaN }, "\(shape): wrote past its output")
        }
    }
}
