/* The CSV reader's look at a whole block before it reads one (engine/intake/lines.py, csvsource.py): its line
 * feeds counted, and whether its quotes let each line be read as one record.
 */
#include "kernels.h"
#include "split.h"

/* The line feeds of buf (`size` bytes): the CSV reader counts each block's before the pass below sizes its
 * columns by them. Sixteen bytes at a time, each lane's matches added up in a byte (at most 255 rounds), then
 * the lanes summed. */
EXPORT int64_t line_feeds(const uint8_t *buf, int64_t size) {
    int64_t count = 0, at = 0;
#ifdef SIXTEEN
    const __m128i feed = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
    while (at + 16 <= size) {
        __m128i lanes = zero;
        int64_t stop = size - at > 16 * 255 ? at + 16 * 255 : size;
        for (; at + 16 <= stop; at += 16)
            lanes = _mm_sub_epi8(lanes, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(buf + at)), feed));
        __m128i sums = _mm_sad_epu8(lanes, zero);
        count += _mm_cvtsi128_si64(sums) + _mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums));
    }
#endif
    for (; at < size; at++) count += buf[at] == '\n';
    return count;
}

/* Whether every quote of buf (`size` bytes, ending with a line feed) opens a cell, and closes it on the same line
 * before a separator: then each line is one record, whichever reader reads it (csvsource.CsvSource.chunks). */
EXPORT int64_t quotes_regular(const uint8_t *buf, int64_t size) {
    if (size == 0 || buf[size - 1] != '\n') return 0;
    int64_t at = 0;
    while (at < size) { /* at: the start of a cell */
        if (buf[at] == '"') {
            int escaped = 0;
            int64_t close = cell_close(buf, at, &escaped);
            if (close < 0) return 0;
            at = close + 1;
        } else {
            while (buf[at] != ',' && buf[at] != '\n') {
                if (buf[at] == '"') return 0;
                at += 1;
            }
        }
        at += 1; /* past the separator (a carriage return before it is left to the reader) */
    }
    return 1;
}
