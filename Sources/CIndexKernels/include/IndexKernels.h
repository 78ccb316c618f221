// The vector index's kernels, with the instruction set chosen at run time: the pruned search's
// first pass over DenseRows' Int8 codes (FirstPass.c), and the approximate search's 4-bit
// centroids (NibbleDots.c) and coded lexical columns (CodedColumns.c). Each file says why and
// how fast.
#ifndef INDEX_KERNELS_H
#define INDEX_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// The instruction sets `index_first_pass` runs on. Every one computes the same integers and
/// the same Floats: they differ in speed only.
typedef enum {
    /// Plain C (any CPU; the compiler vectorises what the baseline target allows).
    INDEX_ISA_PORTABLE = 0,
    /// x86-64 with AVX2: 256-bit sign extension and pmaddwd.
    INDEX_ISA_AVX2 = 1,
    /// x86-64 with AVX-512 F, BW and VL: 512-bit sign extension and pmaddwd.
    INDEX_ISA_AVX512BW = 2,
    /// AVX-512BW with VNNI: the multiply and the add in one vpdpwssd.
    INDEX_ISA_AVX512VNNI = 3,
} index_isa;

/// Whether this CPU runs `isa`.
bool index_isa_available(index_isa isa);

/// The fastest instruction set this CPU runs.
index_isa index_isa_best(void);

/// The most blocks and slots `index_first_pass` takes (given more, it writes nothing).
enum { INDEX_MAX_BLOCKS = 8 };

/// One block of a stored row (a model's components) and the query's numbers for it.
typedef struct {
    /// Where the block starts in the query's codes (its rows start at offset × rows in the
    /// codes), and its width: both multiples of 16.
    size_t offset;
    size_t width;
    /// The slot its scores are added to (see `index_entries`).
    size_t slot;
    /// Where its per-row numbers are: `steps[numbers × rows + i]` for row i (likewise
    /// `residuals` and `code_norms`), so a pass can be given a subset of the stored blocks.
    size_t numbers;
    /// q·mean, and the query's code step (scores are mean_dot + query_step × row step × Σ codes × query codes).
    float mean_dot;
    float query_step;
    /// |q|, |q − query_step × query codes| and the Float rounding allowance (the error bound).
    float query_norm;
    float query_residual;
    float allowance;
} index_block;

/// What the first pass adds up per entry: entry e owns rows entry_start[e] ..< entry_start[e + 1]
/// (ascending, entry_start[entries] = rows). Each row has a value and an error per slot: slot
/// s's value is column_scores[s][i] (0 when column_scores or column_scores[s] is NULL) plus the first-pass
/// scores of the blocks whose slot is s, in block order; its error the sum of their errors.
/// Per entry: `top`, the largest over its rows of the slots' values summed in slot order
/// (-infinity without rows); `largest_error`, the largest of their errors summed (0 without
/// rows); `sums[e × slots + s]` and `error_sums[e × slots + s]`, the slot's values and errors
/// summed in row order.
typedef struct {
    const float *const *column_scores;
    size_t slots;
    const int32_t *entry_start;
    size_t entries;
    float *top;
    float *largest_error;
    float *sums;
    float *error_sums;
} index_entries;

/// The first pass over rows [0, rows) of `codes` (block-major: block k's row i at
/// `codes[blocks[k].offset × rows + i × blocks[k].width]`), for a query whose Int16 codes are
/// `query` (each block's at its `offset`, in component order; each code's
/// magnitude at most INT32_MAX / (127 × its block's width), so sums fit in Int32), added up per
/// entry into `entries` (at most INDEX_MAX_BLOCKS slots). Per row i and block k (`blocks[k]`,
/// `block_count` ≤ INDEX_MAX_BLOCKS; its per-row numbers at `blocks[k].numbers × rows + i`):
///
///     dot = Σ codes[offset × rows + i × width + c] × query[offset + c], c < width (exact, Int32)
///     score = mean_dot + query_step × steps[..] × (Float)dot
///     error = query_norm × residuals[..] + query_residual × code_norms[..] + allowance
///
/// in Float32, evaluated left to right without fused multiply-adds, as are the sums: the same
/// Floats on every instruction set, and as Swift evaluates the same expressions. A block left
/// out of `blocks` adds nothing to its slot (the caller leaves out the blocks a query is zero
/// in, whose scores and errors would be exactly +0).
void index_first_pass(
    index_isa isa, const int8_t *codes, size_t rows, const int16_t *query, const index_block *blocks,
    size_t block_count, const float *steps, const float *residuals, const float *code_norms,
    const index_entries *entries);

/// Per row of `codes` (4-bit codes, `row_bytes` bytes a row, a multiple of 32: byte j holds
/// component j in its low nibble and component row_bytes + j in its high one, each 0...15):
/// out[j] = the Int32 dot product of row rows[j] (row j when `rows` is NULL) with `query`
/// (2 × row_bytes codes in component order, each in -127...127), for j < count. The same integers on every
/// instruction set (NibbleDots.c).
void index_nibble_dots(
    index_isa isa, const uint8_t *codes, size_t row_bytes, const int32_t *rows, size_t count, const int8_t *query, int32_t *out);

/// For every row i < count: out[i] += Σ_k weights[k] × columns[k][i] over `column_count`
/// columns of Int8 codes (four at a time, then one by one), the same Floats on every
/// instruction set (CodedColumns.c).
void index_add_coded_columns(
    index_isa isa, float *out, size_t count, const int8_t *const *columns, const float *weights, size_t column_count);

#endif
