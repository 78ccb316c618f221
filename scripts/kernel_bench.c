// The int8 linear kernels alone (Sources/CEncoderKernels/Int8Linear.c, AVX-512 VNNI, and
// Int8LinearAVX2.c) on a 12-layer, hidden-384 encoder's 48 products (multilingual-e5-small's
// shapes), random Q4_0 weights: best and median time for T tokens, and multiply-adds per second.
// Built and run by scripts/bench-kernels: `kernel_bench TOKENS [vnni|avx2]`.
#include "EncoderKernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { LAYERS = 12, REPEATS = 200 };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int ascending(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static float uniform(void) { return (float)(rand() % 2001 - 1000) / 1000.f; }

int main(int argc, char **argv) {
    size_t tokens = argc > 1 ? (size_t)atoi(argv[1]) : 16;
    bool avx2 = argc > 2 && strcmp(argv[2], "avx2") == 0;
    if (avx2 ? !encoder_int8_avx2_available() : !encoder_int8_available()) {
        printf("this CPU has no %s: the kernel does not run here\n", avx2 ? "AVX2" : "AVX-512 VNNI");
        return 0;
    }

    const size_t shapes[4][2] = {{1152, 384}, {384, 384}, {1536, 384}, {384, 1536}};  // qkv, output, up, down
    uint8_t *weights[LAYERS][4];
    float *bias = calloc(1536, sizeof(float));
    for (int l = 0; l < LAYERS; l++)
        for (int s = 0; s < 4; s++) {
            size_t outputs = shapes[s][0], inputs = shapes[s][1];
            // GGML Q4_0 rows as the model file holds them: a half-precision scale (0.0078125) and nibbles.
            uint8_t *q4 = malloc(outputs * inputs / 32 * 18);
            for (size_t i = 0; i < outputs * inputs / 32 * 18; i++) q4[i] = i % 18 == 0 ? 0x00 : i % 18 == 1 ? 0x20 : (uint8_t)rand();
            weights[l][s] = aligned_alloc(64, encoder_int8_packed_bytes(outputs, inputs));
            encoder_int8_pack_q4(q4, outputs, inputs, weights[l][s]);
            free(q4);
        }
    float *x = malloc(tokens * 1536 * sizeof(float)), *y = malloc(tokens * 1536 * sizeof(float));
    for (size_t i = 0; i < tokens * 1536; i++) x[i] = uniform();
    void *scratch = aligned_alloc(64, (encoder_int8_scratch_bytes(tokens, 1536) + 63) / 64 * 64);
    double times[REPEATS];
    for (int r = 0; r < REPEATS; r++) {
        double start = now();
        for (int l = 0; l < LAYERS; l++)
            for (int s = 0; s < 4; s++)
                if (avx2)
                    encoder_int8_avx2_linear(x, tokens, shapes[s][1], weights[l][s], bias, shapes[s][0], y, scratch, true);
                else
                    encoder_int8_linear(x, tokens, shapes[s][1], weights[l][s], bias, shapes[s][0], y, scratch);
        times[r] = now() - start;
    }
    qsort(times, REPEATS, sizeof(double), ascending);
    double macs = (double)LAYERS * tokens * (1152 * 384 + 384 * 384 + 1536 * 384 + 384 * 1536);
    printf("int8 kernel (%s), %zu tokens through 12 layers' 48 products: best %.3f ms, median %.3f ms, %.0f billion multiply-adds/s at best\n",
        avx2 ? "AVX2" : "VNNI", tokens, times[0] * 1e3, times[REPEATS / 2] * 1e3, macs / times[0] / 1e9);
    return 0;
}
