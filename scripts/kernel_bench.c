// The int8 linear kernel alone (Sources/CEncoderKernels/Int8Linear.c) on a 12-layer,
// hidden-384 encoder's 48 products (multilingual-e5-small's shapes), random weights: best and
// median time for T tokens, and multiply-adds per second. Built and run by scripts/bench-kernels.
#include "EncoderKernels.h"

#include <stdio.h>
#include <stdlib.h>
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
    if (!encoder_int8_available()) {
        puts("this CPU has no AVX-512 VNNI: the int8 kernel does not run here");
        return 0;
    }
    size_t tokens = argc > 1 ? (size_t)atoi(argv[1]) : 16;
    const size_t shapes[4][2] = {{1152, 384}, {384, 384}, {1536, 384}, {384, 1536}};  // qkv, output, up, down
    uint8_t *weights[LAYERS][4];
    float *bias = calloc(1536, sizeof(float));
    for (int l = 0; l < LAYERS; l++)
        for (int s = 0; s < 4; s++) {
            size_t outputs = shapes[s][0], inputs = shapes[s][1];
            float *w = malloc(outputs * inputs * sizeof(float));
            for (size_t i = 0; i < outputs * inputs; i++) w[i] = uniform();
            weights[l][s] = aligned_alloc(64, encoder_int8_packed_bytes(outputs, inputs));
            encoder_int8_pack_f32(w, outputs, inputs, weights[l][s]);
            free(w);
        }
    float *x = malloc(tokens * 1536 * sizeof(float)), *y = malloc(tokens * 1536 * sizeof(float));
    for (size_t i = 0; i < tokens * 1536; i++) x[i] = uniform();
    void *scratch = aligned_alloc(64, (encoder_int8_scratch_bytes(tokens, 1536) + 63) / 64 * 64);
    double times[REPEATS];
    for (int r = 0; r < REPEATS; r++) {
        double start = now();
        for (int l = 0; l < LAYERS; l++)
            for (int s = 0; s < 4; s++) encoder_int8_linear(x, tokens, shapes[s][1], weights[l][s], bias, shapes[s][0], y, scratch);
        times[r] = now() - start;
    }
    qsort(times, REPEATS, sizeof(double), ascending);
    double macs = (double)LAYERS * tokens * (1152 * 384 + 384 * 384 + 1536 * 384 + 384 * 1536);
    printf("int8 kernel, %zu tokens through 12 layers' 48 products: best %.3f ms, median %.3f ms, %.0f billion multiply-adds/s at best\n",
        tokens, times[0] * 1e3, times[REPEATS / 2] * 1e3, macs / times[0] / 1e9);
    return 0;
}
