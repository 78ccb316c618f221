// The 8-bit linear layers of Int8Linear.c for x86-64 CPUs with AVX2 but without AVX-512 VNNI
// (Haswell to Comet Lake, Zen 1-3): the same packed weights, the same activation quantisation,
// the same integer sums and the same Float32 operations in the same order, so the outputs are
// bit for bit those of the VNNI kernel (checked by LinearKernelTests on odd shapes).
//
// Why not VPMADDUBSW on the packed bytes directly: it multiplies unsigned by signed bytes and
// adds pairs into signed 16 bits with saturation; the packed weights are w + 128 (up to 255),
// so a pair reaches 255 * 127 * 2 = 64,770 and saturates. Instead (GGML's sign trick): the
// signed weight is recovered with one XOR (w + 128 ^ 0x80 is w as a signed byte), and
// |w| * (a * sign w) = w * a, so VPMADDUBSW(|w|, VPSIGNB(a, w)) gives pairs of at most
// 2 * 127 * 127 = 32,258: exact in 16 bits. VPMADDWD with ones widens the pairs to one int32
// per row and input quad, as VPDPBUSD sums them, and no correction term is needed. |w| is
// taken once per weight vector and shared by the tile's tokens; per token and 8 rows x 4
// inputs it costs a broadcast, VPSIGNB, VPMADDUBSW, VPMADDWD and VPADDD (against one VPDPBUSD
// for 16 rows in the VNNI kernel). Q4_0 weights (-8...7, multilingual-e5-small's) keep a
// pair under 2 * 8 * 127, so a block's 8 vectors add up in 16 bits (at most 16,256) and
// VPMADDWD runs once per block instead of once per vector: the 16-token kernel went from 2.7x
// to 2.3x the VNNI kernel's time (`scripts/bench-kernels`, Q4_0 weights).
//
// Measured on a Zen 4 (which has VNNI too, so both run side by side), one core, a busy machine:
// `taskset -c 0 .build/release/intent-bench neural models/multilingual-e5-small` gives one
// 16-token message 1.62x the VNNI kernel's time and batches of 64 0.53x its rate (the rest of
// the encoder is shared); `scripts/bench-kernels` (Q4_0 weights) 2.2-2.4x the VNNI kernel's
// time for 16 and 64 tokens (68-74 against 152-164 billion multiply-adds per second).
//
// Invariants: the packed layout is Int8Linear.c's (blocks of 16 output rows, 576 bytes per
// block of 32 inputs); every weight and activation integer lies in [-127, 127] (VPSIGNB cannot
// negate -128: the packers and the quantiser never produce it), and in [-16, 16] for weights
// when `small_weights` is set; `inputs` is a multiple of 32.

#include "EncoderKernels.h"

#include <string.h>

enum { OUT_BLOCK = 16, IN_BLOCK = 32, BLOCK_BYTES = 64 + 8 * 64, TOKENS = 4 };

#if defined(__x86_64__)
#include <immintrin.h>

bool encoder_int8_avx2_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

#define TARGET __attribute__((target("avx2,fma")))

TARGET static inline float largest_magnitude(__m256 a, __m256 b, __m256 c, __m256 d) {
    __m256 sign = _mm256_set1_ps(-0.f);
    __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, a), _mm256_andnot_ps(sign, b)),
                             _mm256_max_ps(_mm256_andnot_ps(sign, c), _mm256_andnot_ps(sign, d)));
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

/// Int8Linear.c's quantiser in 256-bit vectors: the same scale, the same rounding (to nearest
/// even) and the same saturation, so the same integers. No correction term is stored.
TARGET static void quantize(const float *x, size_t rows, size_t inputs, int8_t *q, float *scales) {
    size_t blocks = inputs / IN_BLOCK;
    for (size_t t = 0; t < rows; t++)
        for (size_t b = 0; b < blocks; b++) {
            const float *v = x + t * inputs + b * IN_BLOCK;
            __m256 v0 = _mm256_loadu_ps(v), v1 = _mm256_loadu_ps(v + 8), v2 = _mm256_loadu_ps(v + 16), v3 = _mm256_loadu_ps(v + 24);
            float scale = largest_magnitude(v0, v1, v2, v3) / 127.f, inverse = scale > 0 ? 1.f / scale : 0.f;
            __m256 s = _mm256_set1_ps(inverse);
            __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, s)), i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, s));
            __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, s)), i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, s));
            // Saturating packs work per 128-bit lane: the bytes come out in dword order 0 2 4 6 1 3 5 7.
            __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
            packed = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            _mm256_storeu_si256((__m256i *)(q + t * inputs + b * IN_BLOCK), packed);
            scales[t * blocks + b] = scale;
        }
}

/// `count` (≤ TOKENS, a constant after inlining) tokens from `t0` against half `half` (rows
/// 0-7 or 8-15) of one block of 16 output rows.
TARGET __attribute__((always_inline)) static inline void tile(
    const bool small, const int count, const int8_t *q, const float *scales, size_t t0, size_t inputs, const uint8_t *rows, int half,
    const uint8_t *next, __m256 bias, size_t columns, float *out, size_t outputs) {
    size_t blocks = inputs / IN_BLOCK;
    const __m256i flip = _mm256_set1_epi8((char)0x80), ones = _mm256_set1_epi16(1);
    __m256 sum[TOKENS];
    for (int j = 0; j < count; j++) sum[j] = _mm256_setzero_ps();
    for (size_t b = 0; b < blocks; b++) {
        const uint8_t *block = rows + b * BLOCK_BYTES;
        if (next)
            for (int line = 0; line < BLOCK_BYTES / 64; line++) _mm_prefetch((const char *)next + b * BLOCK_BYTES + line * 64, _MM_HINT_T0);
        __m256i acc[TOKENS];
        for (int j = 0; j < count; j++) acc[j] = _mm256_setzero_si256();
        for (int v = 0; v < 8; v++) {
            __m256i w = _mm256_xor_si256(_mm256_load_si256((const __m256i *)(block + 64 + v * 64 + half * 32)), flip);
            __m256i magnitude = _mm256_sign_epi8(w, w);
            for (int j = 0; j < count; j++) {
                int32_t four;
                memcpy(&four, q + (t0 + j) * inputs + b * IN_BLOCK + v * 4, sizeof four);
                __m256i pairs = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(_mm256_set1_epi32(four), w));
                // Small weights: the 8 vectors' pairs add up in 16 bits, widened once per block.
                acc[j] = small ? _mm256_add_epi16(acc[j], pairs) : _mm256_add_epi32(acc[j], _mm256_madd_epi16(pairs, ones));
            }
        }
        if (small)
            for (int j = 0; j < count; j++) acc[j] = _mm256_madd_epi16(acc[j], ones);
        __m256 dw = _mm256_load_ps((const float *)block + half * 8);
        for (int j = 0; j < count; j++)
            sum[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[j]), _mm256_mul_ps(dw, _mm256_set1_ps(scales[(t0 + j) * blocks + b])), sum[j]);
    }
    for (int j = 0; j < count; j++) {
        __m256 y = _mm256_add_ps(sum[j], bias);
        float *at = out + (t0 + j) * outputs;
        if (columns >= 8)
            _mm256_storeu_ps(at, y);
        else {
            float lanes[8];
            _mm256_storeu_ps(lanes, y);
            memcpy(at, lanes, columns * sizeof(float));
        }
    }
}

/// All tokens against half `half` of row block `weights`, TOKENS at a time.
TARGET __attribute__((always_inline)) static inline void half_block(
    const bool small, const int8_t *q, const float *scales, size_t rows, size_t inputs, const uint8_t *weights, int half, const uint8_t *next,
    const float *bias, size_t columns, float *out, size_t outputs) {
    float lanes[8] = {0};
    memcpy(lanes, bias, columns * sizeof(float));
    __m256 b = _mm256_loadu_ps(lanes);
    size_t t = 0;
    // The next row block is prefetched during the first pass over this one.
    for (; t + TOKENS <= rows; t += TOKENS, next = NULL) tile(small, TOKENS, q, scales, t, inputs, weights, half, next, b, columns, out, outputs);
    switch (rows - t) {
    case 7: tile(small, 7, q, scales, t, inputs, weights, half, next, b, columns, out, outputs); break;
    case 6: tile(small, 6, q, scales, t, inputs, weights, half, next, b, columns, out, outputs); break;
    case 5: tile(small, 5, q, scales, t, inputs, weights, half, next, b, columns, out, outputs); break;
    case 4: tile(small, 4, q, scales, t, inputs, weights, half, next, b, columns, out, outputs); break;
    case 3: tile(small, 3, q, scales, t, inputs, weights, half, next, b, columns, out, outputs); break;
    case 2: tile(small, 2, q, scales, t, inputs, weights, half, next, b, columns, out, outputs); break;
    case 1: tile(small, 1, q, scales, t, inputs, weights, half, next, b, columns, out, outputs); break;
    default: break;
    }
}

TARGET void encoder_int8_avx2_linear(
    const float *x, size_t rows, size_t inputs, const uint8_t *packed, const float *bias, size_t outputs, float *out,
    void *scratch, bool small_weights) {
    size_t blocks = inputs / IN_BLOCK;
    int8_t *q = (int8_t *)scratch;
    float *scales = (float *)(((uintptr_t)(q + rows * inputs) + 63) & ~(uintptr_t)63);
    quantize(x, rows, inputs, q, scales);
    size_t segment = blocks * BLOCK_BYTES, count = (outputs + OUT_BLOCK - 1) / OUT_BLOCK;
    for (size_t ob = 0; ob < count; ob++) {
        const uint8_t *weights = packed + ob * segment;
        const uint8_t *next = ob + 1 < count ? weights + segment : NULL;
        for (int half = 0; half < 2; half++) {
            size_t o = ob * OUT_BLOCK + half * 8;
            if (o >= outputs) break;
            size_t columns = outputs - o < 8 ? outputs - o : 8;
            const uint8_t *prefetch = half == 0 ? next : NULL;
            if (small_weights)
                half_block(true, q, scales, rows, inputs, weights, half, prefetch, bias + o, columns, out + o, outputs);
            else
                half_block(false, q, scales, rows, inputs, weights, half, prefetch, bias + o, columns, out + o, outputs);
        }
    }
}

#else

bool encoder_int8_avx2_available(void) { return false; }

void encoder_int8_avx2_linear(
    const float *x, size_t rows, size_t inputs, const uint8_t *packed, const float *bias, size_t outputs, float *out,
    void *scratch, bool small_weights) {}

#endif
