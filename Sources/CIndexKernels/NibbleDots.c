// The approximate search's pass over entry centroids (CentroidCodes.swift): rows of 4-bit
// codes, two to a byte, dotted with a query's 8-bit codes.
//
// Why 4 bits: the pass reads every entry's centroid for every query, and it is limited by
// memory, not arithmetic. At 20,000 centroids of a 384-component model, 8-bit codes are
// 7.7 MB a query and 4-bit ones 3.8 MB: measured on this project's machine with the rows out
// of the caches, 0.66-0.71 ms against 0.25-0.28 ms a pass. The centroids only choose which
// entries are rescored exactly, so their coarser scores cost recall, not exactness
// (docs/performance.md, "4-bit centroids", says how much).
//
// Codes are unsigned (0...15) and the query's signed, which is what AVX-512 VNNI's vpdpbusd
// multiplies: 64 products, added four by four into 16 Int32 lanes, in one instruction.
// AVX-512BW and AVX2 do the same in two (pmaddubsw for each half's nibbles, the two halves'
// pairs added in Int16: at most 4 × 15 × 127 = 7,620, far from saturating; then pmaddwd by
// ones), and plain C runs anywhere.
// Byte j of a row holds component j in its low nibble and component row_bytes + j in its high
// one, so both halves meet the query's codes in component order, without a shuffle.
//
// Invariants: row_bytes is a multiple of 32 (CentroidCodes pads rows with the code of 0);
// every sum is exact in Int32 (at most 15 × 127 × 2 × row_bytes in magnitude), so every path
// gives the same integers.

#include "IndexKernels.h"

static int32_t dot_plain(const uint8_t *x, const int8_t *q, size_t row_bytes) {
    int32_t sum = 0;
    for (size_t j = 0; j < row_bytes; j++)
        sum += (int32_t)(x[j] & 15) * (int32_t)q[j] + (int32_t)(x[j] >> 4) * (int32_t)q[row_bytes + j];
    return sum;
}

static void dots_plain(const uint8_t *codes, size_t row_bytes, const int32_t *rows, size_t count, const int8_t *query, int32_t *out) {
    for (size_t j = 0; j < count; j++) out[j] = dot_plain(codes + (rows ? (size_t)rows[j] : j) * row_bytes, query, row_bytes);
}

#if defined(__x86_64__)
#include <immintrin.h>

#include "Sums4.h"

// Listed rows are read one by one, each prefetched AHEAD rows before it is read; rows in order
// four at a time (the query read once for four rows, their sums reduced by one shuffle tree),
// their successors left to the hardware prefetcher, which follows a stream.
enum { AHEAD = 4 };

static inline void prefetch_listed(const uint8_t *codes, size_t row_bytes, const int32_t *rows, size_t count, size_t j) {
    if (!rows || j + AHEAD >= count) return;
    const char *x = (const char *)(codes + (size_t)rows[j + AHEAD] * row_bytes);
    for (size_t c = 0; c < row_bytes; c += 64) _mm_prefetch(x + c, _MM_HINT_T0);
}

// One flavour per vector width and multiply-add. STEP(acc, x, q_low, q_high) adds BYTES codes'
// two nibbles times the query's codes of both halves to acc; SUMS4 reduces four accumulators,
// SUM one.
#define NIBBLE_DOTS(NAME, TARGET, VECTOR, BYTES, ZERO, STEP, SUMS4, SUM)                                          \
    TARGET static void NAME(                                                                                     \
        const uint8_t *codes, size_t row_bytes, const int32_t *rows, size_t count, const int8_t *query, int32_t *out) { \
        const int8_t *high = query + row_bytes;                                                                  \
        size_t j = 0;                                                                                            \
        if (!rows)                                                                                               \
            for (; j + 4 <= count; j += 4) {                                                                     \
                const uint8_t *r0 = codes + j * row_bytes, *r1 = r0 + row_bytes, *r2 = r1 + row_bytes,           \
                              *r3 = r2 + row_bytes;                                                              \
                VECTOR a0 = ZERO, a1 = ZERO, a2 = ZERO, a3 = ZERO;                                               \
                for (size_t c = 0; c < row_bytes; c += BYTES) {                                                  \
                    a0 = STEP(a0, r0 + c, query + c, high + c, row_bytes - c);                                   \
                    a1 = STEP(a1, r1 + c, query + c, high + c, row_bytes - c);                                   \
                    a2 = STEP(a2, r2 + c, query + c, high + c, row_bytes - c);                                   \
                    a3 = STEP(a3, r3 + c, query + c, high + c, row_bytes - c);                                   \
                }                                                                                                \
                _mm_storeu_si128((__m128i *)(out + j), SUMS4(a0, a1, a2, a3));                                   \
            }                                                                                                    \
        for (; j < count; j++) {                                                                                 \
            prefetch_listed(codes, row_bytes, rows, count, j);                                                   \
            const uint8_t *x = codes + (rows ? (size_t)rows[j] : j) * row_bytes;                                 \
            VECTOR acc = ZERO;                                                                                   \
            for (size_t c = 0; c < row_bytes; c += BYTES) acc = STEP(acc, x + c, query + c, high + c, row_bytes - c); \
            out[j] = SUM(acc);                                                                                   \
        }                                                                                                        \
    }

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))
#define AVX512VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#define AVX2 __attribute__((target("avx2")))

/// 64 bytes of codes and the query's matching 64 + 64 codes; a row's last 32 bytes (row_bytes
/// is a multiple of 32, not 64) are read with masked loads, the other lanes zero.
#define LOAD512(p, left) _mm512_maskz_loadu_epi8((left) >= 64 ? ~(__mmask64)0 : (__mmask64)0xFFFFFFFFu, (p))
#define LOW512(x) _mm512_and_si512((x), _mm512_set1_epi8(15))
#define HIGH512(x) _mm512_and_si512(_mm512_srli_epi16((x), 4), _mm512_set1_epi8(15))

AVX512VNNI static inline __m512i step_vnni(__m512i acc, const uint8_t *x, const int8_t *low, const int8_t *high, size_t left) {
    __m512i codes = LOAD512(x, left);
    acc = _mm512_dpbusd_epi32(acc, LOW512(codes), LOAD512(low, left));
    return _mm512_dpbusd_epi32(acc, HIGH512(codes), LOAD512(high, left));
}

AVX512 static inline __m512i step_avx512bw(__m512i acc, const uint8_t *x, const int8_t *low, const int8_t *high, size_t left) {
    __m512i codes = LOAD512(x, left), ones = _mm512_set1_epi16(1);
    __m512i pairs = _mm512_add_epi16(
        _mm512_maddubs_epi16(LOW512(codes), LOAD512(low, left)), _mm512_maddubs_epi16(HIGH512(codes), LOAD512(high, left)));
    return _mm512_add_epi32(acc, _mm512_madd_epi16(pairs, ones));
}

AVX2 static inline __m256i step_avx2(__m256i acc, const uint8_t *x, const int8_t *low, const int8_t *high, size_t left) {
    (void)left;
    __m256i codes = _mm256_loadu_si256((const __m256i *)x), fifteen = _mm256_set1_epi8(15);
    __m256i pairs = _mm256_add_epi16(
        _mm256_maddubs_epi16(_mm256_and_si256(codes, fifteen), _mm256_loadu_si256((const __m256i *)low)),
        _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(codes, 4), fifteen), _mm256_loadu_si256((const __m256i *)high)));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}

AVX2 static inline int32_t sum_avx2(__m256i acc) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    s = _mm_hadd_epi32(s, s);
    return _mm_cvtsi128_si32(_mm_hadd_epi32(s, s));
}

NIBBLE_DOTS(dots_vnni, AVX512VNNI, __m512i, 64, _mm512_setzero_si512(), step_vnni, sums4_avx512, _mm512_reduce_add_epi32)
NIBBLE_DOTS(dots_avx512bw, AVX512, __m512i, 64, _mm512_setzero_si512(), step_avx512bw, sums4_avx512, _mm512_reduce_add_epi32)
NIBBLE_DOTS(dots_avx2, AVX2, __m256i, 32, _mm256_setzero_si256(), step_avx2, sums4_avx2, sum_avx2)
#endif

void index_nibble_dots(
    index_isa isa, const uint8_t *codes, size_t row_bytes, const int32_t *rows, size_t count, const int8_t *query, int32_t *out) {
#if defined(__x86_64__)
    if (index_isa_available(isa)) switch (isa) {
        case INDEX_ISA_AVX512VNNI: dots_vnni(codes, row_bytes, rows, count, query, out); return;
        case INDEX_ISA_AVX512BW: dots_avx512bw(codes, row_bytes, rows, count, query, out); return;
        case INDEX_ISA_AVX2: dots_avx2(codes, row_bytes, rows, count, query, out); return;
        case INDEX_ISA_PORTABLE: break;
        }
#endif
    dots_plain(codes, row_bytes, rows, count, query, out);
}
