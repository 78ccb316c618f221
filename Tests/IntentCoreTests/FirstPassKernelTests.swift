import CIndexKernels
import Testing

@testable import IntentCore

/// Every first-pass kernel this CPU runs against a plain loop, on shapes that are and are not
/// multiples of the kernels' steps (rows in tiles of four, blocks in 32 codes) and entries of
/// zero to several rows, with nothing written outside the outputs; and through `DenseRows`,
/// every kernel against the Swift loop.
@Suite struct FirstPassKernelTests {
    static let kernels = FirstPassKernel.allCases.filter { $0.isAvailable && $0.isa != nil }

    /// (rows, block widths): one to three blocks, widths of 16 (one masked half step), 48,
    /// 400 and 384 (the models'), rows that leave every remainder of a tile of four.
    static let shapes: [(Int, [Int])] = [
        (1, [16]), (2, [48]), (3, [400]), (4, [16, 16]), (5, [384, 384]), (6, [32, 64]), (7, [16, 48, 400]),
        (9, [400]), (1_001, [32, 48]),
    ]

    @Test(arguments: kernels)
    func kernelEqualsAPlainLoop(kernel: FirstPassKernel) {
        var random = SplitMix64(seed: 3)
        for (rows, widths) in Self.shapes {
            for grouping in Problem.Grouping.allCases {
                let problem = Problem(rows: rows, widths: widths, grouping: grouping, random: &random) { limit, random in
                    Int16(Int.random(in: -limit...limit, using: &random))
                } code: { random in
                    Int8(Int.random(in: -127...127, using: &random))
                }
                problem.check(kernel, "\(kernel), \(rows) rows of blocks \(widths), \(grouping)")
            }
        }
    }

    /// Given a subset of the stored blocks (as DenseRows leaves out the blocks a query is zero
    /// in), a kernel reads each one's per-row numbers where `numbers` says and adds nothing for
    /// the others, whichever are left out (the first, a middle one, the last, all).
    @Test(arguments: kernels)
    func leftOutBlocksAddNothing(kernel: FirstPassKernel) {
        var random = SplitMix64(seed: 6)
        for (rows, widths) in Self.shapes where widths.count > 1 {
            for leaveOut in [[0], [widths.count - 1], Array(widths.indices)] + (widths.count > 2 ? [[1], [0, 2]] : []) {
                for grouping in Problem.Grouping.allCases {
                    let problem = Problem(rows: rows, widths: widths, grouping: grouping, random: &random) { limit, random in
                        Int16(Int.random(in: -limit...limit, using: &random))
                    } code: { random in
                        Int8(Int.random(in: -127...127, using: &random))
                    }
                    problem.check(kernel, "\(kernel), \(rows) rows of blocks \(widths) without \(leaveOut), \(grouping)", leavingOut: leaveOut)
                }
            }
        }
    }

    /// The largest magnitudes on both sides (codes ±127, query codes at the block's limit), of
    /// mixed signs and all of one sign: the sums stay exact in Int32.
    @Test(arguments: kernels)
    func extremeCodesStayExact(kernel: FirstPassKernel) {
        var random = SplitMix64(seed: 4)
        for sign in [1, -1] {
            let mixed = Problem(rows: 5, widths: [400, 16], grouping: .rows, random: &random) { limit, _ in
                Int16(sign * limit)
            } code: {
                random in
                Bool.random(using: &random) ? 127 : -127
            }
            mixed.check(kernel, "\(kernel), extreme codes, sign \(sign)")
            let same = Problem(rows: 6, widths: [384], grouping: .rows, random: &random) { limit, _ in
                Int16(-sign * limit)
            } code: { _ in
                Int8(sign * 127)
            }
            same.check(kernel, "\(kernel), extreme codes of one sign, sign \(sign)")
        }
    }

    /// Through `DenseRows` (real codes, steps and bounds from Float rows, some rows zero in a
    /// block, a column part, two slots): every kernel gives the Swift loop's Floats, so the
    /// candidates and the hits cannot depend on the CPU. With a query zero in a block, the
    /// kernels leave that block out and the Swift loop reads it: still the same Floats.
    @Test(arguments: [[], [0], [1], [0, 1]])
    func denseRowsGiveTheSameFloatsWithEveryKernel(queryZeroIn: [Int]) {
        var random = SplitMix64(seed: 8)
        let blocks = [(index: 1, components: 5..<45), (index: 2, components: 45..<61)]
        let count = 23
        var rows = DenseRows(count: count, blocks: blocks)
        for i in 0..<count {
            for (k, block) in blocks.enumerated() where (i + k) % 5 != 0 {
                for f in block.components { rows.set(row: i, block: k, component: f, value: Float.random(in: -0.3...0.3, using: &random)) }
            }
        }
        rows.quantize()
        let query = rows.query(
            (5..<61).compactMap { f in
                let value = Float.random(in: -0.3...0.3, using: &random)
                return queryZeroIn.contains { blocks[$0].components.contains(f) } ? nil : (f, value)
            })
        #expect((0..<2).map { query.isZero[$0] } == (0..<2).map { queryZeroIn.contains($0) })
        let columns = [(0..<count).map { _ in Float.random(in: 0...1, using: &random) }, []]
        let entryStart: [Int32] = [0, 3, 3, 4, 10, 17, 23, 23]
        func pass(_ kernel: FirstPassKernel) -> DenseRows.EntryFirstPass {
            rows.firstPass(query: query, kernel: kernel, columns: columns, slotOfBlock: [1, 0], entryStart: entryStart)
        }
        let reference = pass(.swift)
        #expect(reference.top[1] == -.infinity && reference.top[6] == -.infinity, "entries without rows")
        for kernel in FirstPassKernel.allCases.filter(\.isAvailable) {
            let other = pass(kernel)
            #expect(Self.differences(other.top, reference.top) == 0, "\(kernel): top")
            #expect(Self.differences(other.largestError, reference.largestError) == 0, "\(kernel): largest error")
            #expect(Self.differences(other.sums, reference.sums) == 0, "\(kernel): sums")
            #expect(Self.differences(other.errorSums, reference.errorSums) == 0, "\(kernel): error sums")
        }
    }

    /// How many Floats differ in their bits (the kernels promise the same Floats, not close ones).
    static func differences(_ a: some Collection<Float>, _ b: some Collection<Float>) -> Int {
        a.count == b.count ? zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count : max(a.count, b.count)
    }

    /// Random rows of codes (block-major, as DenseRows stores them), a query and entries, and what `index_first_pass` must write.
    struct Problem {
        /// Every row its own entry, one slot per block and no column part; or entries of 0-3
        /// rows, blocks alternating between two slots, and a column part in slot 0.
        enum Grouping: CaseIterable { case rows, entries }

        let rows: Int
        let rowWidth: Int
        let blocks: [index_block]
        let codes: [Int8]
        let query: [Int16]
        let steps: [Float], residuals: [Float], codeNorms: [Float]
        let slots: Int
        let columns: [[Float]]
        let entryStart: [Int32]

        init(
            rows: Int, widths: [Int], grouping: Grouping, random: inout SplitMix64, queryCode: (Int, inout SplitMix64) -> Int16,
            code: (inout SplitMix64) -> Int8
        ) {
            self.rows = rows
            slots = grouping == .rows ? widths.count : 2
            var offset = 0
            var blocks: [index_block] = []
            var query: [Int16] = []
            for (k, width) in widths.enumerated() {
                blocks.append(
                    index_block(
                        offset: offset, width: width, slot: grouping == .rows ? k : k % 2, numbers: k,
                        mean_dot: Float.random(in: -1...1, using: &random),
                        query_step: Float.random(in: 1e-6...1e-4, using: &random), query_norm: Float.random(in: 0...1, using: &random),
                        query_residual: Float.random(in: 0...0.01, using: &random), allowance: Float.random(in: 0...1e-5, using: &random)))
                // DenseRows' limit on query codes: Σ |code| × 127 over the block fits Int32.
                let limit = min(32_767, Int(Int32.max) / (127 * width) - 1)
                for _ in 0..<width { query.append(queryCode(limit, &random)) }
                offset += width
            }
            rowWidth = offset
            self.blocks = blocks
            self.query = query
            codes = (0..<(rows * offset)).map { _ in code(&random) }
            let perRow = rows * widths.count
            steps = (0..<perRow).map { _ in Float.random(in: 0...0.01, using: &random) }
            residuals = (0..<perRow).map { _ in Float.random(in: 0...0.05, using: &random) }
            codeNorms = (0..<perRow).map { _ in Float.random(in: 0...1, using: &random) }
            switch grouping {
            case .rows:
                columns = []
                entryStart = (0...rows).map { Int32($0) }
            case .entries:
                columns = [(0..<rows).map { _ in Float.random(in: -1...1, using: &random) }, []]
                var starts: [Int32] = [0]
                while starts.last! < rows { starts.append(min(Int32(rows), starts.last! + Int32.random(in: 0...3, using: &random))) }
                entryStart = starts + [Int32(rows)]
            }
        }

        var entries: Int { entryStart.count - 1 }

        /// The plain loop: exact integer sums, then the kernels' expressions in Swift, over `blocks`.
        func expected(_ blocks: [index_block]) -> (top: [Float], largestError: [Float], sums: [Float], errorSums: [Float]) {
            var top = [Float](repeating: -.infinity, count: entries)
            var largestError = [Float](repeating: 0, count: entries)
            var sums = [Float](repeating: 0, count: entries * slots)
            var errorSums = sums
            for e in 0..<entries {
                for i in Int(entryStart[e])..<Int(entryStart[e + 1]) {
                    var score: [Float] = []
                    var error: [Float] = []
                    for block in blocks {
                        var dot = 0
                        // Block-major: the block's rows from offset × rows, width apart.
                        let row = block.offset * rows + i * block.width
                        for c in 0..<block.width { dot += Int(codes[row + c]) * Int(query[block.offset + c]) }
                        let at = block.numbers * rows + i
                        score.append(block.mean_dot + block.query_step * steps[at] * Float(Int32(dot)))
                        error.append(block.query_norm * residuals[at] + block.query_residual * codeNorms[at] + block.allowance)
                    }
                    var joint: Float = 0
                    var jointError: Float = 0
                    for s in 0..<slots {
                        var value: Float = s < columns.count && !columns[s].isEmpty ? columns[s][i] : 0
                        var err: Float = 0
                        for k in blocks.indices where blocks[k].slot == s {
                            value = value + score[k]
                            err = err + error[k]
                        }
                        sums[e * slots + s] += value
                        errorSums[e * slots + s] += err
                        joint = s == 0 ? value : joint + value
                        jointError = s == 0 ? err : jointError + err
                    }
                    if joint > top[e] { top[e] = joint }
                    if jointError > largestError[e] { largestError[e] = jointError }
                }
            }
            return (top, largestError, sums, errorSums)
        }

        /// The kernel given `blocks` without those at `leavingOut`, against `expected` of the same.
        func check(_ kernel: FirstPassKernel, _ shape: String, leavingOut: [Int] = []) {
            let passed = blocks.indices.filter { !leavingOut.contains($0) }.map { blocks[$0] }
            let guardCount = 64
            var top = [Float](repeating: .nan, count: entries + guardCount)
            var largestError = top
            var sums = [Float](repeating: .nan, count: entries * slots + guardCount)
            var errorSums = sums
            let flatColumns = columns.flatMap { $0 }
            flatColumns.withUnsafeBufferPointer { flatColumns in
                var offset = 0
                let pointers: [UnsafePointer<Float>?] = columns.map { column in
                    defer { offset += column.count }
                    return column.isEmpty ? nil : flatColumns.baseAddress! + offset
                }
                pointers.withUnsafeBufferPointer { pointers in
                    entryStart.withUnsafeBufferPointer { entryStart in
                        top.withUnsafeMutableBufferPointer { top in
                            largestError.withUnsafeMutableBufferPointer { largestError in
                                sums.withUnsafeMutableBufferPointer { sums in
                                    errorSums.withUnsafeMutableBufferPointer { errorSums in
                                        var outputs = index_entries(
                                            column_scores: columns.isEmpty ? nil : pointers.baseAddress, slots: slots,
                                            entry_start: entryStart.baseAddress, entries: entries, top: top.baseAddress,
                                            largest_error: largestError.baseAddress, sums: sums.baseAddress, error_sums: errorSums.baseAddress)
                                        index_first_pass(
                                            kernel.isa!, codes, rows, query, passed, passed.count, steps, residuals, codeNorms, &outputs)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let want = expected(passed)
            let n = entries * slots
            #expect(FirstPassKernelTests.differences(top[..<entries], want.top) == 0, "\(shape): top")
            #expect(FirstPassKernelTests.differences(largestError[..<entries], want.largestError) == 0, "\(shape): largest error")
            #expect(FirstPassKernelTests.differences(sums[..<n], want.sums) == 0, "\(shape): sums")
            #expect(FirstPassKernelTests.differences(errorSums[..<n], want.errorSums) == 0, "\(shape): error sums")
            let untouched = [top[entries...], largestError[entries...], sums[(entries * slots)...], errorSums[(entries * slots)...]]
            #expect(untouched.allSatisfy { $0.allSatisfy(\.isNaN) }, "\(shape): wrote past its outputs")
        }
    }
}
