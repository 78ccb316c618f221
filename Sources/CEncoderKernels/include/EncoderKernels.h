// The encoder's linear layers without a general BLAS, chosen at run time: "token lanes" in
// Float32 for x86-64 with AVX-512 (LanesLinear.c), and 8-bit integer blocks for AVX-512 VNNI
// (Int8Linear.c) or AVX2 (Int8LinearAVX2.c); attention and the element-wise steps in C
// (Attention.c, Elementwise.c). Each file says why and how fast.
#ifndef ENCODER_KERNELS_H
#define ENCODER_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// Whether this CPU runs the functions below (x86-64 with AVX-512F). When false they must not
/// be called; callers keep weights in row-major layout and use a BLAS.
bool encoder_lanes_available(void);

/// The floats of a [outputs x inputs] weight matrix packed by `encoder_lanes_pack`.
size_t encoder_lanes_packed_count(size_t outputs, size_t inputs);

/// Packs a row-major [outputs x inputs] weight matrix (PyTorch's Linear layout) into
/// `encoder_lanes_packed_count(outputs, inputs)` floats at `packed`: blocks of 16 output rows,
/// each stored input by input (packed[block][input][row]), rows past `outputs` zero.
void encoder_lanes_pack(const float *w, size_t outputs, size_t inputs, float *packed);

/// The floats of scratch `encoder_lanes_linear` needs for `rows` input rows of `inputs` values.
size_t encoder_lanes_scratch_count(size_t rows, size_t inputs);

/// out[rows x outputs] = x[rows x inputs] . w^T + bias (row-major Float32), with w packed by
/// `encoder_lanes_pack`. `scratch` holds `encoder_lanes_scratch_count(rows, inputs)` floats,
/// 64-byte aligned; `out` must not overlap `x` or `scratch`.
void encoder_lanes_linear(
    const float *x, size_t rows, size_t inputs, const float *packed, const float *bias, size_t outputs, float *out,
    float *scratch);

/// Whether this CPU runs `encoder_int8_linear` (x86-64 with AVX-512 F, BW and VNNI).
bool encoder_int8_available(void);

/// Whether a [outputs x inputs] matrix fits the 8-bit layout (inputs a multiple of 32).
bool encoder_int8_supports(size_t outputs, size_t inputs);

/// The bytes of a [outputs x inputs] matrix packed by `encoder_int8_pack_q4` or `_f32`.
size_t encoder_int8_packed_bytes(size_t outputs, size_t inputs);

/// Packs GGML Q4_0 rows (per block of 32 weights: a half-precision scale, then 16 bytes whose
/// byte j holds weight j in its low nibble and weight j + 16 in its high one, each nibble - 8)
/// without changing a value. `packed` is 64-byte aligned.
void encoder_int8_pack_q4(const uint8_t *q4, size_t outputs, size_t inputs, uint8_t *packed);

/// Packs a row-major Float32 matrix, rounding each block of 32 weights to integers of
/// max |w| / 127. `packed` is 64-byte aligned.
void encoder_int8_pack_f32(const float *w, size_t outputs, size_t inputs, uint8_t *packed);

/// The bytes of scratch `encoder_int8_linear` needs for `rows` rows of `inputs` values.
size_t encoder_int8_scratch_bytes(size_t rows, size_t inputs);

/// out[rows x outputs] = x[rows x inputs] . w^T + bias, the activations quantised to 8 bits per
/// block of 32 (see Int8Linear.c). `out` must not overlap `x` or `scratch`.
void encoder_int8_linear(
    const float *x, size_t rows, size_t inputs, const uint8_t *packed, const float *bias, size_t outputs, float *out,
    void *scratch);

/// Whether this CPU runs `encoder_int8_avx2_linear` (x86-64 with AVX2 and FMA).
bool encoder_int8_avx2_available(void);

/// `encoder_int8_linear` with AVX2 instead of AVX-512 VNNI: the same packed weights, scratch
/// and arguments, bit for bit the same outputs. `small_weights`: every weight integer lies in
/// [-16, 16] (true of Q4_0 rows, -8...7), so 8 products' pair sums add up in 16 bits exactly.
void encoder_int8_avx2_linear(
    const float *x, size_t rows, size_t inputs, const uint8_t *packed, const float *bias, size_t outputs, float *out,
    void *scratch, bool small_weights);

/// The floats of scratch `encoder_attention` needs for a sequence of `tokens`.
size_t encoder_attention_scratch_count(size_t tokens, size_t head_size);

/// Self-attention of one sequence, all heads: `qkv` holds `tokens` rows of 3 * heads * head_size
/// (queries, keys, values, each head's features together), `context` gets `tokens` rows of
/// heads * head_size: per head softmax(Q K^T / sqrt(head_size)) V (see Attention.c).
void encoder_attention(const float *qkv, size_t tokens, size_t heads, size_t head_size, float *context, float *scratch);

/// x = x * (1 + erf(x / sqrt 2)) / 2 in place (BERT's exact GELU; see Elementwise.c).
void encoder_gelu(float *x, size_t count);

/// Row by row, x = LayerNorm(x + residual) * gamma + beta in place (`residual` may be NULL).
void encoder_add_layer_norm(
    float *x, const float *residual, size_t rows, size_t width, const float *gamma, const float *beta, float epsilon);

#endif
