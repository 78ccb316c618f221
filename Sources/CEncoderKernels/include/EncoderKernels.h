// Linear layers in "token lanes" for x86-64 with AVX-512: the encoder's matrix products
// without a general BLAS, chosen at run time (see LanesLinear.c for the why and the figures).
#ifndef ENCODER_KERNELS_H
#define ENCODER_KERNELS_H

#include <stdbool.h>
#include <stddef.h>

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

#endif
