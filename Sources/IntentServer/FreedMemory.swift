#if canImport(Glibc)
import Glibc
#endif

/// Keeps memory that loads free from staying resident.
///
/// Building a matcher allocates and frees far more than it keeps: every paraphrase
/// vector before the index compacts them, the neural model's activations. By default
/// glibc raises its mmap threshold to the largest block freed, so later large blocks
/// come from the heap, and freed heap pages stay resident: a hybrid server on 5,000
/// paraphrases sat at 244 MB right after loading. With a fixed threshold, blocks over
/// 256 KB are mapped on their own and unmapped when freed (a few system calls per load,
/// nothing per request: an encoder thread keeps its buffers, `EncoderWorkspace`, and a
/// lexical request's blocks are smaller), and one
/// `malloc_trim` after each load returns what the heap freed. Both are looked up at run
/// time: Glibc's Swift module does not export `malloc.h`, other C libraries lack them.
enum FreedMemory {
    private typealias Trim = @convention(c) (Int) -> Int32
    private typealias Option = @convention(c) (Int32, Int32) -> Int32
    /// `M_MMAP_THRESHOLD` in malloc.h.
    private static let mmapThreshold: Int32 = -3

    private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(symbol, to: type)
        #else
        return nil
        #endif
    }

    /// Call once at start-up, before loading.
    static func mapLargeBlocksSeparately() {
        _ = symbol("mallopt", as: Option.self)?(mmapThreshold, 256 << 10)
    }

    /// Call after a load; walks the heap once (milliseconds): keep it off Swift concurrency's threads.
    static func returnToSystem() {
        _ = symbol("malloc_trim", as: Trim.self)?(0)
    }
}
