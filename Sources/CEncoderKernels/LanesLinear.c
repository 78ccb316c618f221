// A linear layer computed in "token lanes": one 512-bit vector holds one feature of 16 tokens.
// Each weight is read once, broadcast, and multiplied into 16 tokens by one fused multiply-add.
//
// Why not BLAS for every product: for a short message (16 tokens) the encoder's linear layers
// read 42 MB of weights to do 0.34 GFLOP. A general BLAS packs every weight panel into a
// buffer before using it, once per call; for 16 rows that packing costs more than the
// arithmetic. Here the weights are packed once, at load, in the order the kernel reads them:
// block by block of 16 output rows, input by input, so the kernel reads one sequential stream,
// one 64-byte line per 16 multiply-adds, and prefetches it 32 KB ahead (the hardware
// prefetcher alone left the core waiting: the six layers' products took 2.7 ms instead of
// 1.4 ms in a C benchmark). Longer inputs reuse each 16-row block of weights from cache for
// every further group of 16 tokens, up to 1,024 tokens per pass over the weights.
//
// Measured (all-MiniLM-L6-v2, one core, `scripts/bench-neural`): one 16-token message 5.0 ms
// with OpenBLAS -> 1.8 ms; batches of 64 messages 448 -> 741 per second.
//
// Invariants: each output is the sum over inputs, in input order, in Float32 with FMA, plus
// the bias; lanes past the last token hold zeros and are never stored; packed rows past
// `outputs` are zero and never stored.

#include "EncoderKernels.h"

enum { LANES = 16 };

static size_t round_up(size_t n) { return (n + LANES - 1) / LANES * LANES; }

size_t encoder_lanes_packed_count(size_t outputs, size_t inputs) { return round_up(outputs) * inputs; }

// Rows transposed and multiplied per pass over the weights: bounds the scratch (6 MB for 1,536
// inputs) while streaming the weights from memory once per 1,024 tokens (a long batch pays ~2% for it).
enum { CHUNK_ROWS = 1024 };

size_t encoder_lanes_scratch_count(size_t rows, size_t inputs) {
    return (rows < CHUNK_ROWS ? round_up(rows) : CHUNK_ROWS) * round_up(inputs);
}

void encoder_lanes_pack(const float *w, size_t outputs, size_t inputs, float *packed) {
    for (size_t block = 0; block < round_up(outputs) / LANES; block++)
        for (size_t i = 0; i < inputs; i++)
            for (size_t r = 0; r < LANES; r++) {
                size_t o = block * LANES + r;
                packed[(block * inputs + i) * LANES + r] = o < outputs ? w[o * inputs + i] : 0;
            }
}

#if defined(__x86_64__)
#include <immintrin.h>

#include "Transpose16.h"

enum { PREFETCH_FLOATS = 8192 };  // 32 KB ahead of the weight stream (measured: 4-64 KB equal).

bool encoder_lanes_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

static inline __mmask16 first(size_t n) { return n >= LANES ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1); }

/// One chunk of at most CHUNK_ROWS rows: transpose them all, then stream the weights once.
__attribute__((target("avx512f"))) static void linear_chunk(
    const float *x, size_t rows, size_t inputs, const float *packed, const float *bias, size_t outputs, float *out,
    float *scratch) {
    size_t groups = round_up(rows) / LANES, width = round_up(inputs);
    // scratch[group][input][lane] = x[group * 16 + lane][input], zero past the last row.
    for (size_t g = 0; g < groups; g++) {
        size_t count = rows - g * LANES < LANES ? rows - g * LANES : LANES;
        for (size_t i0 = 0; i0 < inputs; i0 += LANES) {
            __m512 r[16];
            for (size_t t = 0; t < LANES; t++)
                r[t] = t < count ? _mm512_maskz_loadu_ps(first(inputs - i0), x + (g * LANES + t) * inputs + i0)
                                 : _mm512_setzero_ps();
            transpose16(r);
            for (size_t q = 0; q < LANES; q++) _mm512_store_ps(scratch + (g * width + i0 + q) * LANES, r[q]);
        }
    }
    for (size_t block = 0; block < round_up(outputs) / LANES; block++) {
        const float *w = packed + block * inputs * LANES;
        size_t o = block * LANES;
        __mmask16 columns = first(outputs - o);
        __m512 b = _mm512_maskz_loadu_ps(columns, bias + o);
        for (size_t g = 0; g < groups; g++) {
            const float *lanes = scratch + g * width * LANES;
            __m512 acc[16];
            for (int j = 0; j < 16; j++) acc[j] = _mm512_setzero_ps();
            for (size_t i = 0; i < inputs; i++) {
                _mm_prefetch((const char *)(w + i * LANES + PREFETCH_FLOATS), _MM_HINT_T0);
                __m512 v = _mm512_load_ps(lanes + i * LANES);
                for (int j = 0; j < 16; j++) acc[j] = _mm512_fmadd_ps(_mm512_set1_ps(w[i * LANES + j]), v, acc[j]);
            }
            transpose16(acc);  // acc[t] = the 16 outputs of token t.
            size_t count = rows - g * LANES < LANES ? rows - g * LANES : LANES;
            for (size_t t = 0; t < count; t++)
                _mm512_mask_storeu_ps(out + (g * LANES + t) * outputs + o, columns, _mm512_add_ps(acc[t], b));
        }
    }
}

__attribute__((target("avx512f"))) void encoder_lanes_linear(
    const float *x, size_t rows, size_t inputs, const float *packed, const float *bias, size_t outputs, float *out,
    float *scratch) {
    for (size_t start = 0; start < rows; start += CHUNK_ROWS) {
        size_t count = rows - start < CHUNK_ROWS ? rows - start : CHUNK_ROWS;
        linear_chunk(x + start * inputs, count, inputs, packed, bias, outputs, out + start * outputs, scratch);
    }
}

#else

bool encoder_lanes_available(void) { return false; }

void encoder_lanes_linear(
    const float *x, size_t rows, size_t inputs, const float *packed, const float *bias, size_t outputs, float *out,
    float *scratch) {}

#endif
