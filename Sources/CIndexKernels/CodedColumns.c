// The approximate search's lexical candidate scores (ColumnCentroids.swift): columns of 8-bit
// codes, each times the query's weight for it, added to every row's score, four columns per
// pass over the scores (a quarter of their read-modify-write traffic).
//
// Why in C: Swift's baseline x86-64 target converts four codes per instruction sequence
// (punpck, psrad, cvtdq2ps), which made these columns cost more than the Float columns
// they replace; AVX-512 and AVX2 sign-extend and convert 16 and 8 at a time.
//
// Every path evaluates score + w0 × x0 + w1 × x1 + w2 × x2 + w3 × x3 left to right, without
// fused multiply-adds: the same Floats on every instruction set.

#include "IndexKernels.h"

#pragma STDC FP_CONTRACT OFF

static void add4_plain(float *out, size_t from, size_t count, const int8_t *const *c, const float *w) {
    for (size_t i = from; i < count; i++)
        out[i] = out[i] + w[0] * (float)c[0][i] + w[1] * (float)c[1][i] + w[2] * (float)c[2][i] + w[3] * (float)c[3][i];
}

#if defined(__x86_64__)
#include <immintrin.h>

// One pass per vector width: LANES codes sign-extended to Int32 (CODES), converted, scaled, added.
#define ADD4(NAME, TARGET, LANES, VECTOR, SET1, LOADU, STOREU, ADD, MUL, CODES)                                  \
    TARGET static void NAME(float *out, size_t count, const int8_t *const *c, const float *w) {                   \
        VECTOR w0 = SET1(w[0]), w1 = SET1(w[1]), w2 = SET1(w[2]), w3 = SET1(w[3]);                               \
        size_t i = 0;                                                                                            \
        for (; i + LANES <= count; i += LANES) {                                                                 \
            VECTOR acc = LOADU(out + i);                                                                         \
            acc = ADD(acc, MUL(w0, CODES(c[0] + i)));                                                            \
            acc = ADD(acc, MUL(w1, CODES(c[1] + i)));                                                            \
            acc = ADD(acc, MUL(w2, CODES(c[2] + i)));                                                            \
            acc = ADD(acc, MUL(w3, CODES(c[3] + i)));                                                            \
            STOREU(out + i, acc);                                                                                \
        }                                                                                                        \
        add4_plain(out, i, count, c, w);                                                                         \
    }

#define CODES16(p) _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(p))))
#define CODES8(p) _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(p))))
ADD4(add4_avx512, __attribute__((target("avx512f"))), 16, __m512, _mm512_set1_ps, _mm512_loadu_ps, _mm512_storeu_ps,
     _mm512_add_ps, _mm512_mul_ps, CODES16)
ADD4(add4_avx2, __attribute__((target("avx2"))), 8, __m256, _mm256_set1_ps, _mm256_loadu_ps, _mm256_storeu_ps,
     _mm256_add_ps, _mm256_mul_ps, CODES8)
#endif

void index_add_coded_columns(
    index_isa isa, float *out, size_t count, const int8_t *const *columns, const float *weights, size_t column_count) {
    bool available = index_isa_available(isa);
    size_t k = 0;
    for (; k + 4 <= column_count; k += 4) {
        const int8_t *const *c = columns + k;
        const float *w = weights + k;
#if defined(__x86_64__)
        if (available && (isa == INDEX_ISA_AVX512BW || isa == INDEX_ISA_AVX512VNNI)) {
            add4_avx512(out, count, c, w);
            continue;
        }
        if (available && isa == INDEX_ISA_AVX2) {
            add4_avx2(out, count, c, w);
            continue;
        }
#endif
        add4_plain(out, 0, count, c, w);
    }
    // The last columns one by one, on every path.
    for (; k < column_count; k++)
        for (size_t i = 0; i < count; i++) out[i] = out[i] + weights[k] * (float)columns[k][i];
}
