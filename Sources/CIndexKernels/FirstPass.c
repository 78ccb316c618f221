// The first pass of the vector index's pruned search: for every stored row, the dot product
// of its Int8 codes with the query's Int16 codes, block by block, turned into a first-pass
// score and its error bound (DenseRows.swift defines both and proves the bound), added up per
// entry as the bounds of VectorIndex+Pruned.swift need them. Adding up here, row by row as the
// rows come, spares the search writing and rereading per-row arrays (1.6 MB per query for two
// models at 100,000 rows).
//
// Why in C: Swift compiles for baseline x86-64, so the same loop ran 128 bits at a time
// (sign extension by shifts, pmaddwd): 4-7 ms per 384-component model block over 100,000
// rows, well short of what memory delivers. Here the instruction set is chosen at run time
// (cpuid through __builtin_cpu_supports, as the encoder's kernels do): AVX-512 VNNI's
// vpdpwssd multiplies 32 codes by 32 query codes and adds them in one instruction after one
// sign extension (vpmovsxbw), AVX-512BW and AVX2 do the same in two (pmaddwd, add) at 32 and 16
// codes per step, and plain C runs anywhere.
//
// Four rows go through the loop together: the query is loaded once for four rows, and their
// four accumulators are reduced to four sums by one shuffle tree instead of four horizontal
// sums. Rows are streamed in order (four rows of each block, then the next four), each block's
// rows contiguous (block-major), and each cache line is prefetched PREFETCH_BYTES before it is
// read.
//
// Invariants: block offsets and widths are multiples of 16 (DenseRows pads them with zero
// codes); the integer sums are exact (the caller bounds the query codes), so every path gets
// the same Int32; the Floats go through the same operations in the same order on every path
// (row_values one row at a time, tile_values4 four lanes at a time, add_rows for all), never
// contracted into fused multiply-adds, hence the same Floats on every path.

#include "IndexKernels.h"

#include <math.h>

#pragma STDC FP_CONTRACT OFF

// Rows per pass of the loop, and how far ahead of the rows being read their successors are
// prefetched (measured on this project's 2-core AVX-512 machine, shared with builds: the
// hardware prefetcher alone left the AVX-512 loops ~1.5-2x slower; 4-32 KB ahead all helped).
enum { TILE = 4, PREFETCH_BYTES = 8192 };

/// Adds rows up per entry as they come, in row order (see `index_entries`). The running values
/// of the current entry live here, not in the outputs: each pass works on its own copy, which
/// the compiler keeps in registers and on the stack (stores to the outputs could otherwise
/// alias every field and force reloads).
typedef struct {
    const index_block *blocks;
    size_t block_count, slots, rows;
    size_t slot[INDEX_MAX_BLOCKS];
    const float *columns[INDEX_MAX_BLOCKS];
    const float *steps, *residuals, *code_norms;
    const index_entries *out;
    /// The current entry, the row it ends before, and its running values.
    size_t entry, end;
    float top, largest_error, sums[INDEX_MAX_BLOCKS], error_sums[INDEX_MAX_BLOCKS];
} accumulator;

/// Up to TILE consecutive rows' values and errors per slot, and their sums over the slots.
typedef struct {
    float value[INDEX_MAX_BLOCKS][TILE], error[INDEX_MAX_BLOCKS][TILE], joint[TILE], joint_error[TILE];
} tile_values;

/// Sets every output to an entry without rows, and the accumulator before the first row.
static void start(accumulator *a) {
    const index_entries *out = a->out;
    for (size_t e = 0; e < out->entries; e++) {
        out->top[e] = -INFINITY;
        out->largest_error[e] = 0;
        for (size_t s = 0; s < out->slots; s++) out->sums[e * out->slots + s] = out->error_sums[e * out->slots + s] = 0;
    }
    a->entry = 0;
    a->end = 0;
    a->top = -INFINITY;
    a->largest_error = 0;
    for (size_t s = 0; s < a->slots; s++) a->sums[s] = a->error_sums[s] = 0;
}

/// Stores the current entry's values (when it has rows).
static void flush(accumulator *a) {
    if (a->entry >= a->out->entries || a->top == -INFINITY) return;
    const index_entries *out = a->out;
    out->top[a->entry] = a->top;
    out->largest_error[a->entry] = a->largest_error;
    for (size_t s = 0; s < a->slots; s++) {
        out->sums[a->entry * a->slots + s] = a->sums[s];
        out->error_sums[a->entry * a->slots + s] = a->error_sums[s];
    }
}

/// Moves on to the entry of row i; false when no entry holds it (rows past the entries).
static bool enter(accumulator *a, size_t i) {
    flush(a);
    const index_entries *out = a->out;
    while (a->entry < out->entries && (size_t)out->entry_start[a->entry + 1] <= i) a->entry++;
    if (a->entry == out->entries) return false;
    a->end = (size_t)out->entry_start[a->entry + 1];
    a->top = -INFINITY;
    a->largest_error = 0;
    for (size_t s = 0; s < a->slots; s++) a->sums[s] = a->error_sums[s] = 0;
    return true;
}

/// Adds rows i ..< i + n of `tile` to their entries.
__attribute__((always_inline)) static inline void add_rows(accumulator *a, size_t i, size_t n, const tile_values *tile) {
    for (size_t t = 0; t < n; t++) {
        if (i + t >= a->end && !enter(a, i + t)) return;
        for (size_t s = 0; s < a->slots; s++) {
            a->sums[s] = a->sums[s] + tile->value[s][t];
            a->error_sums[s] = a->error_sums[s] + tile->error[s][t];
        }
        if (tile->joint[t] > a->top) a->top = tile->joint[t];
        if (tile->joint_error[t] > a->largest_error) a->largest_error = tile->joint_error[t];
    }
}

/// Row i's first-pass scores, errors and slot values into column t of `tile`, one Float
/// operation at a time (what the four-row version below does four rows at a time).
static void row_values(const accumulator *a, size_t i, const int32_t *dots, size_t t, tile_values *tile) {
    float score[INDEX_MAX_BLOCKS], error[INDEX_MAX_BLOCKS];
    for (size_t k = 0; k < a->block_count; k++) {
        const index_block *b = a->blocks + k;
        size_t at = b->numbers * a->rows + i;
        score[k] = b->mean_dot + b->query_step * a->steps[at] * (float)dots[k];
        error[k] = b->query_norm * a->residuals[at] + b->query_residual * a->code_norms[at] + b->allowance;
    }
    for (size_t s = 0; s < a->slots; s++) {
        float value = a->columns[s] ? a->columns[s][i] : 0.f, err = 0;
        for (size_t k = 0; k < a->block_count; k++)
            if (a->slot[k] == s) {
                value = value + score[k];
                err = err + error[k];
            }
        tile->value[s][t] = value;
        tile->error[s][t] = err;
        tile->joint[t] = s == 0 ? value : tile->joint[t] + value;
        tile->joint_error[t] = s == 0 ? err : tile->joint_error[t] + err;
    }
}

/// Row t of the tile at row i; a tile past the last row repeats the last row (its sums are
/// never stored), so every tile runs the four-row loop.
static inline size_t tile_row(size_t i, size_t t, size_t rows) { return i + t < rows ? i + t : rows - 1; }

static int32_t dot_plain(const int8_t *x, const int16_t *q, size_t width) {
    int32_t sum = 0;
    for (size_t c = 0; c < width; c++) sum += (int32_t)x[c] * (int32_t)q[c];
    return sum;
}

/// Where row i of block b starts (see `index_first_pass`: block-major).
static inline const int8_t *block_row(const int8_t *codes, const index_block *b, size_t rows, size_t i) {
    return codes + b->offset * rows + i * b->width;
}

static void pass_plain(const accumulator *setup, const int8_t *codes, const int16_t *query) {
    accumulator copy = *setup, *a = &copy;
    int32_t dots[INDEX_MAX_BLOCKS];
    tile_values tile;
    for (size_t i = 0; i < a->rows; i++) {
        for (size_t k = 0; k < a->block_count; k++) {
            const index_block *b = a->blocks + k;
            dots[k] = dot_plain(block_row(codes, b, a->rows, i), query + b->offset, b->width);
        }
        row_values(a, i, dots, 0, &tile);
        add_rows(a, i, 1, &tile);
    }
    flush(a);
}

#if defined(__x86_64__)
#include <immintrin.h>

#include "Sums4.h"

static bool supports(index_isa isa) {
    __builtin_cpu_init();
    switch (isa) {
    case INDEX_ISA_PORTABLE: return true;
    case INDEX_ISA_AVX2: return __builtin_cpu_supports("avx2");
    case INDEX_ISA_AVX512BW:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    case INDEX_ISA_AVX512VNNI: return supports(INDEX_ISA_AVX512BW) && __builtin_cpu_supports("avx512vnni");
    }
    return false;
}

/// The cache lines PREFETCH_BYTES past four rows' current ones (past the last row: harmless).
static inline void prefetch4(const int8_t *r0, const int8_t *r1, const int8_t *r2, const int8_t *r3) {
    _mm_prefetch((const char *)r0 + PREFETCH_BYTES, _MM_HINT_T0);
    _mm_prefetch((const char *)r1 + PREFETCH_BYTES, _MM_HINT_T0);
    _mm_prefetch((const char *)r2 + PREFETCH_BYTES, _MM_HINT_T0);
    _mm_prefetch((const char *)r3 + PREFETCH_BYTES, _MM_HINT_T0);
}

/// Four rows' values from their dot products (`dots[k]`: lane t is row i + t's in block k):
/// row_values' operations in the same order, four lanes at a time, hence the same Floats.
/// A tile that runs past the last row goes through row_values row by row instead.
__attribute__((always_inline)) static inline void tile_values4(const accumulator *a, size_t i, const __m128i *dots, tile_values *tile) {
    if (i + TILE > a->rows) {
        for (size_t t = 0; i + t < a->rows; t++) {
            int32_t lanes[TILE][INDEX_MAX_BLOCKS], row[INDEX_MAX_BLOCKS];
            for (size_t k = 0; k < a->block_count; k++) _mm_storeu_si128((__m128i *)lanes[k], dots[k]);
            for (size_t k = 0; k < a->block_count; k++) row[k] = lanes[k][t];
            row_values(a, i + t, row, t, tile);
        }
        return;
    }
    __m128 score[INDEX_MAX_BLOCKS], error[INDEX_MAX_BLOCKS];
    for (size_t k = 0; k < a->block_count; k++) {
        const index_block *b = a->blocks + k;
        size_t at = b->numbers * a->rows + i;
        __m128 step = _mm_mul_ps(_mm_set1_ps(b->query_step), _mm_loadu_ps(a->steps + at));
        score[k] = _mm_add_ps(_mm_set1_ps(b->mean_dot), _mm_mul_ps(step, _mm_cvtepi32_ps(dots[k])));
        __m128 residual = _mm_mul_ps(_mm_set1_ps(b->query_norm), _mm_loadu_ps(a->residuals + at));
        __m128 coded = _mm_mul_ps(_mm_set1_ps(b->query_residual), _mm_loadu_ps(a->code_norms + at));
        error[k] = _mm_add_ps(_mm_add_ps(residual, coded), _mm_set1_ps(b->allowance));
    }
    __m128 joint = _mm_setzero_ps(), joint_error = _mm_setzero_ps();
    for (size_t s = 0; s < a->slots; s++) {
        __m128 value = a->columns[s] ? _mm_loadu_ps(a->columns[s] + i) : _mm_setzero_ps(), err = _mm_setzero_ps();
        for (size_t k = 0; k < a->block_count; k++)
            if (a->slot[k] == s) {
                value = _mm_add_ps(value, score[k]);
                err = _mm_add_ps(err, error[k]);
            }
        _mm_storeu_ps(tile->value[s], value);
        _mm_storeu_ps(tile->error[s], err);
        joint = s == 0 ? value : _mm_add_ps(joint, value);
        joint_error = s == 0 ? err : _mm_add_ps(joint_error, err);
    }
    _mm_storeu_ps(tile->joint, joint);
    _mm_storeu_ps(tile->joint_error, joint_error);
}

// MARK: AVX2

#define AVX2 __attribute__((target("avx2")))

AVX2 static inline __m256i step_avx2(__m256i acc, const int8_t *x, __m256i q) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)x)), q));
}

AVX2 static void pass_avx2(const accumulator *setup, const int8_t *codes, const int16_t *query) {
    accumulator copy = *setup, *a = &copy;
    size_t rows = a->rows;
    __m128i dots[INDEX_MAX_BLOCKS];
    tile_values tile;
    for (size_t i = 0; i < rows; i += TILE) {
        for (size_t k = 0; k < a->block_count; k++) {
            const index_block *b = a->blocks + k;
            const int16_t *q = query + b->offset;
            const int8_t *r[TILE];
            for (size_t t = 0; t < TILE; t++) r[t] = block_row(codes, b, rows, tile_row(i, t, rows));
            __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
            for (size_t c = 0; c < b->width; c += 16) {
                if (c % 64 == 0) prefetch4(r[0] + c, r[1] + c, r[2] + c, r[3] + c);
                __m256i qv = _mm256_loadu_si256((const __m256i *)(q + c));
                a0 = step_avx2(a0, r[0] + c, qv);
                a1 = step_avx2(a1, r[1] + c, qv);
                a2 = step_avx2(a2, r[2] + c, qv);
                a3 = step_avx2(a3, r[3] + c, qv);
            }
            dots[k] = sums4_avx2(a0, a1, a2, a3);
        }
        tile_values4(a, i, dots, &tile);
        add_rows(a, i, rows - i < TILE ? rows - i : TILE, &tile);
    }
    flush(a);
}

// MARK: AVX-512

// One pass per flavour: `MULTIPLY_ADD(acc, codes, query)` adds the pairwise products of 32 codes
// (sign-extended to Int16) and 32 query codes to acc's 16 Int32 lanes. A block's width is a
// multiple of 16: an odd 16 at its end is read with masked loads (the other 16 lanes zero).
#define AVX512_PASS(NAME, TARGET, MULTIPLY_ADD)                                                                   \
    TARGET static inline __m512i NAME##_codes(const int8_t *x, __mmask32 lanes) {                                \
        return _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(lanes, x));                                           \
    }                                                                                                            \
    TARGET static void NAME(const accumulator *setup, const int8_t *codes, const int16_t *query) {              \
        accumulator copy = *setup, *a = &copy;                                                                   \
        size_t rows = a->rows;                                                                                   \
        __m128i dots[INDEX_MAX_BLOCKS];                                                                          \
        tile_values tile;                                                                                        \
        for (size_t i = 0; i < rows; i += TILE) {                                                                \
            for (size_t k = 0; k < a->block_count; k++) {                                                        \
                const index_block *b = a->blocks + k;                                                            \
                const int16_t *q = query + b->offset;                                                            \
                const int8_t *r0 = block_row(codes, b, rows, tile_row(i, 0, rows));                              \
                const int8_t *r1 = block_row(codes, b, rows, tile_row(i, 1, rows));                              \
                const int8_t *r2 = block_row(codes, b, rows, tile_row(i, 2, rows));                              \
                const int8_t *r3 = block_row(codes, b, rows, tile_row(i, 3, rows));                              \
                __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;                                  \
                for (size_t c = 0; c < b->width; c += 32) {                                                      \
                    __mmask32 lanes = b->width - c >= 32 ? (__mmask32)0xFFFFFFFFu : (__mmask32)0xFFFFu;          \
                    if (c % 64 == 0) prefetch4(r0 + c, r1 + c, r2 + c, r3 + c);                                  \
                    __m512i qv = _mm512_maskz_loadu_epi16(lanes, q + c);                                        \
                    a0 = MULTIPLY_ADD(a0, NAME##_codes(r0 + c, lanes), qv);                                      \
                    a1 = MULTIPLY_ADD(a1, NAME##_codes(r1 + c, lanes), qv);                                      \
                    a2 = MULTIPLY_ADD(a2, NAME##_codes(r2 + c, lanes), qv);                                      \
                    a3 = MULTIPLY_ADD(a3, NAME##_codes(r3 + c, lanes), qv);                                      \
                }                                                                                                \
                dots[k] = sums4_avx512(a0, a1, a2, a3);                                                          \
            }                                                                                                    \
            tile_values4(a, i, dots, &tile);                                                                     \
            add_rows(a, i, rows - i < TILE ? rows - i : TILE, &tile);                                            \
        }                                                                                                        \
        flush(a);                                                                                                \
    }

#define MADD_BW(acc, x, q) _mm512_add_epi32(acc, _mm512_madd_epi16(x, q))
#define MADD_VNNI(acc, x, q) _mm512_dpwssd_epi32(acc, x, q)

AVX512_PASS(pass_avx512bw, __attribute__((target("avx512f,avx512bw,avx512vl"))), MADD_BW)
AVX512_PASS(pass_avx512vnni, __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))), MADD_VNNI)

#else

static bool supports(index_isa isa) { return isa == INDEX_ISA_PORTABLE; }

#endif

bool index_isa_available(index_isa isa) { return supports(isa); }

index_isa index_isa_best(void) {
    if (supports(INDEX_ISA_AVX512VNNI)) return INDEX_ISA_AVX512VNNI;
    if (supports(INDEX_ISA_AVX512BW)) return INDEX_ISA_AVX512BW;
    if (supports(INDEX_ISA_AVX2)) return INDEX_ISA_AVX2;
    return INDEX_ISA_PORTABLE;
}

void index_first_pass(
    index_isa isa, const int8_t *codes, size_t rows, const int16_t *query, const index_block *blocks,
    size_t block_count, const float *steps, const float *residuals, const float *code_norms,
    const index_entries *entries) {
    if (block_count > INDEX_MAX_BLOCKS || entries->slots > INDEX_MAX_BLOCKS) return;
    accumulator a = {.blocks = blocks, .block_count = block_count, .slots = entries->slots, .rows = rows, .steps = steps,
                     .residuals = residuals, .code_norms = code_norms, .out = entries};
    for (size_t k = 0; k < block_count; k++) a.slot[k] = blocks[k].slot;
    for (size_t s = 0; s < entries->slots; s++) a.columns[s] = entries->column_scores ? entries->column_scores[s] : NULL;
    start(&a);
    if (rows == 0) return;
#if defined(__x86_64__)
    if (supports(isa)) switch (isa) {
        case INDEX_ISA_AVX512VNNI: pass_avx512vnni(&a, codes, query); return;
        case INDEX_ISA_AVX512BW: pass_avx512bw(&a, codes, query); return;
        case INDEX_ISA_AVX2: pass_avx2(&a, codes, query); return;
        case INDEX_ISA_PORTABLE: break;
        }
#endif
    pass_plain(&a, codes, query);
}
