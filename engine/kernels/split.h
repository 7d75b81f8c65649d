/* Where the cells of a CSV line end: the closing quote of a quoted cell, a run of empty cells, the end of an
 * unquoted one. Shared by the check of a block's quotes (lines.c) and the reader's pass (scan.c). Each function
 * relies on the block ending with a line feed, which stops every loop.
 */
#ifndef KERNELS_SPLIT_H
#define KERNELS_SPLIT_H

#include "kernels.h"

/* The closing quote of the quoted cell opening at buf[at], if a separator follows it and no line break comes
 * before it; -1 otherwise. Sets *escaped if the cell holds a doubled quote. buf ends with a line feed. */
static inline int64_t cell_close(const uint8_t *buf, int64_t at, int *escaped) {
    int64_t k = at + 1;
    for (;;) {
        uint8_t c = buf[k];
        if (c == '"') {
            if (buf[k + 1] != '"') break;
            *escaped = 1;
            k += 2;
            continue;
        }
        if (c == '\n' || c == '\r') return -1;
        k += 1;
    }
    uint8_t after = buf[k + 1];
    return after == ',' || after == '\n' || after == '\r' ? k : -1;
}

/* The number of separators at buf[at], buf[at + 1], ... in a row: a run of empty cells. buf ends with a line feed,
 * which stops the run; sixteen bytes are read at once only while they all lie within `size`. */
static inline int64_t comma_run(const uint8_t *buf, int64_t at, int64_t size) {
    int64_t start = at;
#ifdef SIXTEEN
    const __m128i comma = _mm_set1_epi8(',');
    while (at + 16 <= size) {
        unsigned other = ~(unsigned)_mm_movemask_epi8(
                             _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(buf + at)), comma)) & 0xFFFFu;
        if (other) return at + __builtin_ctz(other) - start;
        at += 16;
    }
#endif
    while (buf[at] == ',') at += 1;
    return at - start;
}

/* Where the unquoted cell starting at buf[at] stops: the first separator, line end or quote from there (buf
 * ends with a line feed, so there is one). */
static inline int64_t cell_stop(const uint8_t *buf, int64_t at, int64_t size) {
#ifdef SIXTEEN
    const __m128i comma = _mm_set1_epi8(','), feed = _mm_set1_epi8('\n'), carriage = _mm_set1_epi8('\r'),
                  quote = _mm_set1_epi8('"');
    while (at + 16 <= size) {
        __m128i v = _mm_loadu_si128((const __m128i *)(buf + at));
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, feed)),
                                   _mm_or_si128(_mm_cmpeq_epi8(v, carriage), _mm_cmpeq_epi8(v, quote)));
        unsigned mask = (unsigned)_mm_movemask_epi8(hit);
        if (mask) return at + __builtin_ctz(mask);
        at += 16;
    }
#endif
    for (;;) {
        uint8_t byte = buf[at];
        if (byte == ',' || byte == '\n' || byte == '\r' || byte == '"') return at;
        at += 1;
    }
}

#endif
