// Four Int32 accumulators reduced to their four sums at once (one shuffle tree instead of four
// horizontal sums), shared by the kernels that run four rows per pass.
#ifndef INDEX_SUMS4_H
#define INDEX_SUMS4_H

#if defined(__x86_64__)
#include <immintrin.h>

/// The four sums of four accumulators, in lanes 0-3.
__attribute__((target("avx2"))) static inline __m128i sums4_avx2(__m256i a0, __m256i a1, __m256i a2, __m256i a3) {
    __m256i s = _mm256_hadd_epi32(_mm256_hadd_epi32(a0, a1), _mm256_hadd_epi32(a2, a3));
    return _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
}

/// The four sums of four accumulators, in lanes 0-3.
__attribute__((target("avx512f,avx512bw,avx512vl"))) static inline __m128i sums4_avx512(
    __m512i a0, __m512i a1, __m512i a2, __m512i a3) {
    __m512i s01 = _mm512_add_epi32(_mm512_unpacklo_epi32(a0, a1), _mm512_unpackhi_epi32(a0, a1));
    __m512i s23 = _mm512_add_epi32(_mm512_unpacklo_epi32(a2, a3), _mm512_unpackhi_epi32(a2, a3));
    __m512i s = _mm512_add_epi32(_mm512_unpacklo_epi64(s01, s23), _mm512_unpackhi_epi64(s01, s23));
    __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(s), _mm512_extracti64x4_epi64(s, 1));
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

#endif

#endif
