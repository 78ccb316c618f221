// Attention alone (Sources/CEncoderKernels/Attention.c) beside the encoder's former path (per head
// two OpenBLAS sgemm calls and a scalar softmax), multilingual-e5-small's shapes (12 heads of 32,
// 12 layers), one sequence of T tokens: best of 200. Built and run by scripts/bench-kernels.
#include "EncoderKernels.h"
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static void blas(const float *qkv, size_t n, size_t heads, size_t hs, float *ctx, float *scores) {
    size_t h = heads * hs; float scale = 1.f / sqrtf((float)hs);
    for (size_t head = 0; head < heads; head++) {
        const float *q = qkv + head * hs, *k = qkv + h + head * hs, *v = qkv + 2 * h + head * hs;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, hs, scale, q, 3 * h, k, 3 * h, 0, scores, n);
        for (size_t r = 0; r < n; r++) { float *row = scores + r * n; float top = -INFINITY;
            for (size_t i = 0; i < n; i++) top = fmaxf(top, row[i]); float sum = 0;
            for (size_t i = 0; i < n; i++) { row[i] = expf(row[i] - top); sum += row[i]; }
            float s = 1 / sum; for (size_t i = 0; i < n; i++) row[i] *= s; }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, hs, n, 1, scores, n, v, 3 * h, 0, ctx + head * hs, h);
    }
}
int main(int argc, char **argv) {
    size_t n = argc > 1 ? atoi(argv[1]) : 16, heads = 12, hs = 32, h = 384;
    float *qkv = malloc(n * 3 * h * 4), *ctx = malloc(n * h * 4), *sc = malloc(4 * encoder_attention_scratch_count(n, hs));
    for (size_t i = 0; i < n * 3 * h; i++) qkv[i] = (rand() % 2001 - 1000) / 500.f;
    for (int kind = 0; kind < 2; kind++) {
        double best = 1e9;
        for (int r = 0; r < 200; r++) { double s = now();
            for (int l = 0; l < 12; l++) kind ? encoder_attention(qkv, n, heads, hs, ctx, sc) : blas(qkv, n, heads, hs, ctx, sc);
            double t = now() - s; best = t < best ? t : best; }
        printf("%s: %zu tokens, 12 layers' attention: best %.1f us\n", kind ? "C kernel" : "OpenBLAS per head", n, best * 1e6);
    }
}
