// Multi-head self-attention over one sequence, all heads in one call: per head, scores = Q K^T
// times 1/sqrt(head size), a softmax per row, then the scores' weighted sum of V.
//
// Why not BLAS: a chat message is 10-30 tokens, so each head's two products are tiny (16 x 16
// x 32 for multilingual-e5-small) and the encoder made 2 sgemm calls per head and layer (288 for
// e5-small), each with its own checks and dispatch, plus a scalar softmax. Here, with AVX-512,
// K is transposed 16 x 16 in registers, a query's scores are 16 keys per vector (four partial
// sums, so FMAs do not wait on each other), the softmax's exponentials are a vector polynomial
// (Cephes' expf, within 2 ulp of libm's) and the weighted sum of V runs 16 features per vector;
// keys are padded to 16 per vector, the cost for very short sequences. Other CPUs run the same
// loops in plain C (AVX2 or baseline, chosen at run time; libm's expf).
//
// Measured (scripts/bench-kernels, one core, 12 layers of e5-small's 12 heads of 32, side by
// side with the former per-head OpenBLAS path in one run, a busy machine): 8 tokens 88 against
// 61 us (slower: half of each vector is padding), 16 tokens 197 against 201 us (equal), 30 tokens
// 454 against 730 us (1.6x faster). Attention is ~5% of a 16-token message's time, so the
// whole encoder gains little for short messages.
//
// Invariants: equals the BLAS path within Float32 rounding (sums in another order, the
// exponential's polynomial; checked by AttentionTests against a double-precision loop);
// `scratch` holds encoder_attention_scratch_count(tokens, head_size) floats and no row of
// `qkv` or `context` overlaps it.

#include "EncoderKernels.h"

#include <math.h>
#include <string.h>

size_t encoder_attention_scratch_count(size_t tokens, size_t head_size) {
    size_t padded = (tokens + 15) / 16 * 16;
    return padded * head_size + padded * padded;
}

__attribute__((always_inline)) static inline void attention(
    const float *restrict qkv, size_t tokens, size_t heads, size_t head_size, float *restrict context, float *restrict scratch) {
    size_t hidden = heads * head_size, stride = 3 * hidden;
    float scale = 1.f / sqrtf((float)head_size);
    float *restrict keys = scratch;                         // [head_size][tokens]: K transposed
    float *restrict scores = scratch + head_size * tokens;  // [tokens][tokens]
    for (size_t head = 0; head < heads; head++) {
        const float *q = qkv + head * head_size, *k = qkv + hidden + head * head_size, *v = qkv + 2 * hidden + head * head_size;
        for (size_t j = 0; j < tokens; j++)
            for (size_t d = 0; d < head_size; d++) keys[d * tokens + j] = k[j * stride + d];
        for (size_t i = 0; i < tokens; i++) {
            float *row = scores + i * tokens;
            const float *query = q + i * stride;
            for (size_t j = 0; j < tokens; j++) row[j] = 0;
            for (size_t d = 0; d < head_size; d++) {
                float f = query[d];
                const float *column = keys + d * tokens;
                for (size_t j = 0; j < tokens; j++) row[j] += f * column[j];
            }
            float top = -INFINITY;
            for (size_t j = 0; j < tokens; j++) {
                row[j] *= scale;
                top = row[j] > top ? row[j] : top;
            }
            float sum = 0;
            for (size_t j = 0; j < tokens; j++) {
                row[j] = expf(row[j] - top);
                sum += row[j];
            }
            float inverse = 1 / sum;
            float *out = context + i * hidden + head * head_size;
            for (size_t d = 0; d < head_size; d++) out[d] = 0;
            for (size_t j = 0; j < tokens; j++) {
                float p = row[j] * inverse;
                const float *value = v + j * stride;
                for (size_t d = 0; d < head_size; d++) out[d] += p * value[d];
            }
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#include "Transpose16.h"

static inline __mmask16 first(size_t n) { return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1); }

/// e^x for x ≤ 0 (Cephes' expf: x = n ln 2 + r, |r| ≤ ln 2 / 2, a degree-6 polynomial for e^r,
/// times 2^n; within 2 ulp of expf), 0 below -87.
__attribute__((target("avx512f,fma"))) static inline __m512 exp_avx512(__m512 x) {
    __m512 clamped = _mm512_max_ps(x, _mm512_set1_ps(-87.f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(clamped, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), clamped);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.f)));
    __m512 e = _mm512_scalef_ps(p, n);
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.f), _CMP_LT_OQ), e, _mm512_setzero_ps());
}

/// 512-bit vectors: a query's scores 16 keys at a time (K transposed in scratch), the weighted
/// sum 16 features at a time, accumulators in registers.
__attribute__((target("avx512f,fma"))) static void attention_avx512(
    const float *restrict qkv, size_t tokens, size_t heads, size_t head_size, float *restrict context, float *restrict scratch) {
    size_t hidden = heads * head_size, stride = 3 * hidden, padded = (tokens + 15) / 16 * 16;
    float scale = 1.f / sqrtf((float)head_size);
    float *restrict keys = scratch;  // [head_size][padded], zero past `tokens`
    float *restrict row = scratch + head_size * padded;
    for (size_t head = 0; head < heads; head++) {
        const float *q = qkv + head * head_size, *k = qkv + hidden + head * head_size, *v = qkv + 2 * hidden + head * head_size;
        // K transposed 16 x 16 in registers; keys past `tokens` are zero.
        for (size_t j0 = 0; j0 < tokens; j0 += 16)
            for (size_t d0 = 0; d0 < head_size; d0 += 16) {
                __m512 r[16];
                for (size_t t = 0; t < 16; t++)
                    r[t] = j0 + t < tokens ? _mm512_maskz_loadu_ps(first(head_size - d0), k + (j0 + t) * stride + d0) : _mm512_setzero_ps();
                transpose16(r);
                for (size_t f = 0; f < 16 && d0 + f < head_size; f++) _mm512_storeu_ps(keys + (d0 + f) * padded + j0, r[f]);
            }
        for (size_t i = 0; i < tokens; i++) {
            const float *query = q + i * stride;
            float top = -INFINITY;
            for (size_t j0 = 0; j0 < tokens; j0 += 16) {
                // Four partial sums: one chain of FMAs would wait on each one's latency.
                __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
                const float *column = keys + j0;
                size_t d = 0;
                for (; d + 4 <= head_size; d += 4) {
                    a0 = _mm512_fmadd_ps(_mm512_set1_ps(query[d]), _mm512_loadu_ps(column + d * padded), a0);
                    a1 = _mm512_fmadd_ps(_mm512_set1_ps(query[d + 1]), _mm512_loadu_ps(column + (d + 1) * padded), a1);
                    a2 = _mm512_fmadd_ps(_mm512_set1_ps(query[d + 2]), _mm512_loadu_ps(column + (d + 2) * padded), a2);
                    a3 = _mm512_fmadd_ps(_mm512_set1_ps(query[d + 3]), _mm512_loadu_ps(column + (d + 3) * padded), a3);
                }
                for (; d < head_size; d++) a0 = _mm512_fmadd_ps(_mm512_set1_ps(query[d]), _mm512_loadu_ps(column + d * padded), a0);
                __m512 total = _mm512_mul_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)), _mm512_set1_ps(scale));
                _mm512_storeu_ps(row + j0, total);
                float m = _mm512_mask_reduce_max_ps(first(tokens - j0), total);
                top = m > top ? m : top;
            }
            __m512 sums = _mm512_setzero_ps();
            for (size_t j0 = 0; j0 < tokens; j0 += 16) {
                __mmask16 m = first(tokens - j0);
                __m512 e = exp_avx512(_mm512_sub_ps(_mm512_loadu_ps(row + j0), _mm512_set1_ps(top)));
                _mm512_storeu_ps(row + j0, e);
                sums = _mm512_mask_add_ps(sums, m, sums, e);
            }
            __m512 inverse = _mm512_set1_ps(1 / _mm512_reduce_add_ps(sums));
            for (size_t j0 = 0; j0 < tokens; j0 += 16) _mm512_storeu_ps(row + j0, _mm512_mul_ps(_mm512_loadu_ps(row + j0), inverse));
            float *out = context + i * hidden + head * head_size;
            for (size_t d0 = 0; d0 < head_size; d0 += 16) {
                __mmask16 m = first(head_size - d0);
                __m512 even = _mm512_setzero_ps(), odd = _mm512_setzero_ps();
                size_t j = 0;
                for (; j + 1 < tokens; j += 2) {
                    even = _mm512_fmadd_ps(_mm512_set1_ps(row[j]), _mm512_maskz_loadu_ps(m, v + j * stride + d0), even);
                    odd = _mm512_fmadd_ps(_mm512_set1_ps(row[j + 1]), _mm512_maskz_loadu_ps(m, v + (j + 1) * stride + d0), odd);
                }
                if (j < tokens) even = _mm512_fmadd_ps(_mm512_set1_ps(row[j]), _mm512_maskz_loadu_ps(m, v + j * stride + d0), even);
                _mm512_mask_storeu_ps(out + d0, m, _mm512_add_ps(even, odd));
            }
        }
    }
}

__attribute__((target("avx2,fma"))) static void attention_avx2(
    const float *qkv, size_t tokens, size_t heads, size_t head_size, float *context, float *scratch) {
    attention(qkv, tokens, heads, head_size, context, scratch);
}

static int instruction_set(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f")                                       ? 2
           : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")      ? 1
                                                                                   : 0;
}
#endif

void encoder_attention(const float *qkv, size_t tokens, size_t heads, size_t head_size, float *context, float *scratch) {
#if defined(__x86_64__)
    switch (instruction_set()) {
    case 2: attention_avx512(qkv, tokens, heads, head_size, context, scratch); return;
    case 1: attention_avx2(qkv, tokens, heads, head_size, context, scratch); return;
    default: break;
    }
#endif
    attention(qkv, tokens, heads, head_size, context, scratch);
}
