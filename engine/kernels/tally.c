/* The summary's counts and sums per group of a batch's outcomes (engine/batch/summary.py): how many outcomes,
 * how many give a value, and the sums of value, min and max, for each group number (a rule, a status and a kind
 * of amount in one integer). One step over the outcomes instead of a hash table's: the group numbers are small
 * and dense. Sums are kept in 128 bits, so no count of 64-bit amounts overflows them.
 */
#include "kernels.h"

/* Adds the n outcomes into the groups' arrays (zeroed by the caller, `groups` long; `sums` holds three
 * 128-bit sums a group, value, min and max, each as its low and high 64-bit words); an amount not given adds
 * nothing to its sum (the caller passes it as 0). Returns 0, or -1 if a group number is `groups` or above or
 * the compiler has no 128-bit integers. */
EXPORT int64_t tally(int64_t n, const uint32_t *keys, int64_t groups, const int64_t *value,
                     const uint8_t *value_given, const int64_t *low, const int64_t *high, int64_t *rows,
                     int64_t *given, uint64_t *sums) {
#if defined(__SIZEOF_INT128__)
    for (int64_t i = 0; i < n; i++)
        if ((int64_t)keys[i] >= groups) return -1;
    __int128 *totals = calloc((size_t)(groups > 0 ? groups : 1) * 3, sizeof(__int128));
    if (totals == NULL) return -1;
    for (int64_t i = 0; i < n; i++) {
        int64_t key = keys[i];
        rows[key] += 1;
        given[key] += value_given[i];
        totals[3 * key] += value[i];
        totals[3 * key + 1] += low[i];
        totals[3 * key + 2] += high[i];
    }
    for (int64_t k = 0; k < 3 * groups; k++) {
        if (rows[k / 3] == 0) continue; /* (left at zero) */
        sums[2 * k] = (uint64_t)totals[k];
        sums[2 * k + 1] = (uint64_t)((unsigned __int128)totals[k] >> 64);
    }
    free(totals);
    return 0;
#else /* no 128-bit integers (a 32-bit machine): the caller sums with polars */
    (void)n, (void)keys, (void)groups, (void)value, (void)value_given, (void)low, (void)high, (void)rows,
        (void)given, (void)sums;
    return -1;
#endif
}
