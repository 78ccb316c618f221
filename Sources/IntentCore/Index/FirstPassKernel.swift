import CIndexKernels

/// The code that runs the pruned search's first pass (`DenseRows.firstPass`): the C kernels of
/// CIndexKernels, chosen by instruction set at run time, or the Swift loop they replaced.
/// Every kernel computes the same Floats (the same integer sums, then one scalar formula); they
/// differ in speed only, so the choice never changes a search's candidates or hits. The
/// approximate search's kernels (4-bit centroids, coded lexical columns) take the same
/// instruction set and have no Swift loop: `swift` runs their plain C.
package enum FirstPassKernel: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The Swift loop: 128-bit SIMD (the package's baseline x86-64 target). Kept as the
    /// reference the C kernels are tested and benchmarked against.
    case swift
    /// Plain C: any CPU.
    case portable
    /// x86-64 with AVX2.
    case avx2
    /// x86-64 with AVX-512 F, BW and VL.
    case avx512bw
    /// AVX-512BW with VNNI (vpdpwssd): Ice Lake, Sapphire Rapids, Zen 4 and later.
    case avx512vnni

    /// Whether this CPU runs it.
    package var isAvailable: Bool {
        guard let isa else { return true }
        return index_isa_available(isa)
    }

    /// The fastest kernel this CPU runs (what `VectorIndex.search` uses).
    package static let best: FirstPassKernel = {
        switch index_isa_best() {
        case INDEX_ISA_AVX512VNNI: .avx512vnni
        case INDEX_ISA_AVX512BW: .avx512bw
        case INDEX_ISA_AVX2: .avx2
        default: .portable
        }
    }()

    package var description: String { rawValue }

    /// The C kernel's instruction set (nil: the Swift loop).
    var isa: index_isa? {
        switch self {
        case .swift: nil
        case .portable: INDEX_ISA_PORTABLE
        case .avx2: INDEX_ISA_AVX2
        case .avx512bw: INDEX_ISA_AVX512BW
        case .avx512vnni: INDEX_ISA_AVX512VNNI
        }
    }
}
