/// The activations and kernel scratch of one encoder pass, kept by a worker thread from
/// pass to pass.
///
/// Why: a served batch needs megabytes of activations (64 messages of 17 tokens: about
/// 20 MB with e5-small). `serve` has glibc map every block over 256 KB on its own
/// (`FreedMemory`, so that what a load frees goes back to the system), so buffers allocated
/// per pass were mapped fresh and unmapped after: every pass paid a page fault per 4 KiB
/// page it wrote and a TLB shootdown when the pages went, 0.4 ms of CPU per served message
/// (`perf` under load). Kept, the pages stay mapped and warm. At most `retainedBytes` per
/// encoder thread (one per core) stay between passes.
///
/// Invariant: one thread at a time (not `Sendable`). The buffers are one 64-byte aligned
/// block carved into slices; `reserve` regrows it only when a pass needs more. A block
/// larger than `retainedBytes` is given back after the pass (`endPass`), so a rare long
/// batch (an import of long texts) does not stay resident in every worker.
package final class EncoderWorkspace {
    /// The largest block kept between passes.
    static let retainedBytes = 48 << 20

    struct Buffers {
        let x: UnsafeMutablePointer<Float>
        let qkv: UnsafeMutablePointer<Float>
        let context: UnsafeMutablePointer<Float>
        let projected: UnsafeMutablePointer<Float>
        let hidden: UnsafeMutablePointer<Float>
        let scores: UnsafeMutablePointer<Float>
        let scratch: UnsafeMutableRawPointer
    }

    private var block: UnsafeMutableRawPointer?
    private(set) var capacity = 0

    package init() {}

    deinit { block?.deallocate() }

    /// Buffers for a pass of `tokens` packed tokens whose longest sequence has `longest`.
    func reserve(_ configuration: SentenceModelConfiguration, kernel: LinearKernel, tokens: Int, longest: Int) -> Buffers {
        let h = configuration.hiddenSize
        let floats = MemoryLayout<Float>.stride
        let sizes = [
            tokens * h * floats,
            tokens * 3 * h * floats,
            tokens * h * floats,
            tokens * h * floats,
            tokens * configuration.intermediateSize * floats,
            max(1, Kernels.attentionScratchCount(tokens: longest, headSize: configuration.headSize)) * floats,
            max(64, Kernels.scratchBytes(for: kernel, rows: tokens, inputs: max(h, configuration.intermediateSize))),
        ].map { ($0 + 63) & ~63 }
        let bytes = sizes.reduce(0, +)
        if bytes > capacity {
            block?.deallocate()
            // A quarter more than asked (batches vary by a few tokens from pass to pass), within
            // what is kept.
            capacity = max(bytes, min(bytes + bytes / 4, Self.retainedBytes))
            block = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        }
        var offset = 0
        let slices = sizes.map { size in
            defer { offset += size }
            return block! + offset
        }
        let float = { (i: Int) in slices[i].assumingMemoryBound(to: Float.self) }
        return Buffers(x: float(0), qkv: float(1), context: float(2), projected: float(3), hidden: float(4), scores: float(5), scratch: slices[6])
    }

    /// Every byte of the block set to `byte` (tests: 0xFF makes every Float a NaN, so a kernel
    /// that reads what it has not written in the pass shows).
    func fill(_ byte: UInt8) {
        if let block { block.initializeMemory(as: UInt8.self, repeating: byte, count: capacity) }
    }

    /// Gives the block back when it is larger than `retainedBytes`.
    func endPass() {
        guard capacity > Self.retainedBytes else { return }
        block?.deallocate()
        block = nil
        capacity = 0
    }
}

/// One thread at a time: a worker's own.
@available(*, unavailable)
extension EncoderWorkspace: Sendable {}
