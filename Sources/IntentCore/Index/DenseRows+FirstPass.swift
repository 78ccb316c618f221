import CIndexKernels

extension DenseRows {
    /// What the pruned search's bounds need from the first pass, per entry (`index_entries` in
    /// IndexKernels.h defines each): per row, each slot's value is its exact column part plus
    /// the first-pass scores of the dense blocks in that slot, and its error their bounds'
    /// sum; per entry, the largest of its rows' summed values (`top`) and errors
    /// (`largestError`), and per slot their sums over its rows (`sums[e * slots + s]`,
    /// `errorSums`).
    struct EntryFirstPass {
        var slots: Int
        var top: [Float]
        var largestError: [Float]
        var sums: [Float]
        var errorSums: [Float]

        /// `body` with the outputs' storage.
        mutating func withOutputs<R>(
            _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> R
        ) -> R {
            top.withUnsafeMutableBufferPointer { top in
                largestError.withUnsafeMutableBufferPointer { largestError in
                    sums.withUnsafeMutableBufferPointer { sums in
                        errorSums.withUnsafeMutableBufferPointer { errorSums in
                            body(top.baseAddress!, largestError.baseAddress!, sums.baseAddress!, errorSums.baseAddress!)
                        }
                    }
                }
            }
        }
    }

    /// The first pass over every row by `kernel`, added up per entry (entry e owns rows
    /// `entryStart[e]..<entryStart[e + 1]`). `columns` are the exact column parts per slot
    /// (`count` values each, or empty: none); `slotOfBlock[k]` is dense block k's slot. Every
    /// kernel gives the same Floats.
    func firstPass(query: Query, kernel: FirstPassKernel, columns: [[Float]], slotOfBlock: [Int], entryStart: [Int32]) -> EntryFirstPass {
        let slots = columns.count
        let entries = entryStart.count - 1
        precondition(blocks.count <= Int(INDEX_MAX_BLOCKS) && slotOfBlock.count == blocks.count, "one slot per dense block")
        precondition(entryStart.last.map { Int($0) } == count, "entries cover the rows")
        var pass = EntryFirstPass(
            slots: slots, top: [Float](repeating: 0, count: entries), largestError: [Float](repeating: 0, count: entries),
            sums: [Float](repeating: 0, count: entries * slots), errorSums: [Float](repeating: 0, count: entries * slots))
        guard entries > 0 else { return pass }
        guard let isa = kernel.isa else {
            swiftFirstPass(query: query, columns: columns, slotOfBlock: slotOfBlock, entryStart: entryStart, into: &pass)
            return pass
        }
        // The blocks the query is zero in are left out: their scores and errors are +0.
        let parameters = blocks.indices.filter { !query.isZero[$0] }.map { k in
            index_block(
                offset: blocks[k].offset, width: blocks[k].width, slot: slotOfBlock[k], numbers: k, mean_dot: query.meanDot[k],
                query_step: query.step[k], query_norm: query.norm[k], query_residual: query.residualNorm[k],
                allowance: query.allowance[k])
        }
        Self.withPointers(to: columns[...]) { pointers in
            pointers.withUnsafeBufferPointer { columns in
                codes.withUnsafeBufferPointer { codes in
                    query.codes.withUnsafeBufferPointer { queryCodes in
                        steps.withUnsafeBufferPointer { steps in
                            residualNorms.withUnsafeBufferPointer { residuals in
                                codeNorms.withUnsafeBufferPointer { coded in
                                    entryStart.withUnsafeBufferPointer { entryStart in
                                        pass.withOutputs { top, largestError, sums, errorSums in
                                            var entries = index_entries(
                                                column_scores: columns.baseAddress, slots: slots, entry_start: entryStart.baseAddress,
                                                entries: entries,
                                                top: top, largest_error: largestError, sums: sums, error_sums: errorSums)
                                            index_first_pass(
                                                isa, codes.baseAddress, count, queryCodes.baseAddress, parameters, parameters.count,
                                                steps.baseAddress, residuals.baseAddress, coded.baseAddress, &entries)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return pass
    }

    /// `body` with a pointer to each array's floats (nil for an empty array), valid during the call.
    private static func withPointers<R>(
        to arrays: ArraySlice<[Float]>, _ pointers: [UnsafePointer<Float>?] = [], _ body: ([UnsafePointer<Float>?]) -> R
    ) -> R {
        guard let first = arrays.first else { return body(pointers) }
        return first.withUnsafeBufferPointer { buffer in
            withPointers(to: arrays.dropFirst(), pointers + [first.isEmpty ? nil : buffer.baseAddress], body)
        }
    }

    /// `firstPass` in Swift (`FirstPassKernel.swift`): the same integers, then the same
    /// expressions in the same order as FirstPass.c's `row_values`, so the same Floats. It reads
    /// every block, zero in the query or not: the reference the kernels' skipping is tested
    /// against.
    private func swiftFirstPass(
        query: Query, columns: [[Float]], slotOfBlock: [Int], entryStart: [Int32], into pass: inout EntryFirstPass
    ) {
        let blockList = blocks
        let blockCount = blockList.count
        let slots = pass.slots
        let entries = entryStart.count - 1
        var score = [Float](repeating: 0, count: blockCount)
        var error = [Float](repeating: 0, count: blockCount)
        Self.withPointers(to: columns[...]) { columns in
            codes.withUnsafeBufferPointer { codes in
                query.evenCodes.withUnsafeBufferPointer { even in
                    query.oddCodes.withUnsafeBufferPointer { odd in
                        pass.withOutputs { top, largestError, sums, errorSums in
                            for e in 0..<entries { top[e] = -.infinity }
                            var entry = 0
                            for i in 0..<count {
                                while entry < entries && Int(entryStart[entry + 1]) <= i { entry += 1 }
                                guard entry < entries else { break }
                                for (k, block) in blockList.enumerated() {
                                    let dot = Self.codeDot(
                                        codes.baseAddress! + start(row: i, block: k), even.baseAddress! + block.offset / 2,
                                        odd.baseAddress! + block.offset / 2, block.width)
                                    let at = k * count + i
                                    score[k] = query.meanDot[k] + query.step[k] * steps[at] * Float(dot)
                                    error[k] = query.norm[k] * residualNorms[at] + query.residualNorm[k] * codeNorms[at] + query.allowance[k]
                                }
                                var joint: Float = 0
                                var jointError: Float = 0
                                let at = entry * slots
                                for s in 0..<slots {
                                    var value: Float = columns[s].map { $0[i] } ?? 0
                                    var err: Float = 0
                                    for k in 0..<blockCount where slotOfBlock[k] == s {
                                        value = value + score[k]
                                        err = err + error[k]
                                    }
                                    sums[at + s] = sums[at + s] + value
                                    errorSums[at + s] = errorSums[at + s] + err
                                    joint = s == 0 ? value : joint + value
                                    jointError = s == 0 ? err : jointError + err
                                }
                                if joint > top[entry] { top[entry] = joint }
                                if jointError > largestError[entry] { largestError[entry] = jointError }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Σ codes[c] × qCodes[c] over `width` components (a multiple of 16), in Int32.
    ///
    /// Sixteen Int8 codes are read as eight Int16 lanes and sign-extended in place (the even
    /// byte by shifting left then right, the odd by shifting right), so no widening conversion
    /// is needed; the compiler turns the widening multiply-adds into `pmaddwd` on x86.
    @inline(__always)
    static func codeDot(_ row: UnsafePointer<Int8>, _ even: UnsafePointer<Int16>, _ odd: UnsafePointer<Int16>, _ width: Int) -> Int32 {
        var a0 = SIMD8<Int32>()
        var a1 = SIMD8<Int32>()
        var c = 0
        while c < width {
            let w = UnsafeRawPointer(row + c).loadUnaligned(as: SIMD8<Int16>.self)
            let low = (w &<< 8) &>> 8
            let high = w &>> 8
            let e = UnsafeRawPointer(even + c / 2).loadUnaligned(as: SIMD8<Int16>.self)
            let o = UnsafeRawPointer(odd + c / 2).loadUnaligned(as: SIMD8<Int16>.self)
            a0 &+= SIMD8<Int32>(truncatingIfNeeded: low) &* SIMD8<Int32>(truncatingIfNeeded: e)
            a1 &+= SIMD8<Int32>(truncatingIfNeeded: high) &* SIMD8<Int32>(truncatingIfNeeded: o)
            c += 16
        }
        return (a0 &+ a1).wrappedSum()
    }
}
