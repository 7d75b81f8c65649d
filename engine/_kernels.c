/* The batch path's three passes over bytes, in C: reading the clean lines of a CSV block into typed columns
 * (engine/intake/scan.py), writing the wide CSV lines of a batch (engine/batch/widecsv.py), and the table of applicants seen
 * (engine/intake/seen.py). Each Python module says what its pass must do and holds the rest; these functions take
 * plain arrays (numpy's, by address, through ctypes, which lets other threads run meanwhile) and allocate
 * nothing but the reader's few words a column. Built as an extension module by `pip install` (setup.py); engine/native.py loads it.
 *
 * Two-dimensional arrays are C-ordered: element (i, j) of an array with `stride` columns is at i * stride + j.
 * Every index below stays within the sizes the callers pass: the callers' tests (tests/test_scan.py,
 * tests/test_widecsv.py, tests/test_repeats.py) check the output against the frame paths on generated input.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h> /* baseline on x86_64: sixteen bytes compared at once; elsewhere the byte loops below */
#define SIXTEEN 1
#endif

#define EXPORT __attribute__((visibility("default")))

/* ------------------------------------------------------------------------------------------------ layout */

/* How each column is read (kinds) and where its values go (stores): engine/intake/scan.py names the same numbers. */
enum { TEXT_ID, TEXT_NAME, MONEY, RATIO, INTEGER, SPELLED, DATE };
enum { INTS, DAYS, BITS, CODES, TEXTS };
/* The rule's kind of amount as layouts.wide_cell tells them apart: engine/batch/widecsv.py names the same. */
enum { FIGURE, RANGE, UP_TO, NON_MONETARY };

#define ID_LIMIT 200
#define NO_DATE (-(INT64_C(1) << 62))
#define HASH_START UINT64_C(0xCBF29CE484222325)
#define HASH_PRIME UINT64_C(0x9E3779B97F4A7C15)
#define CELL_ROOM 80
#define LINE_ROOM 400

/* The numbers above, for engine/native.py to check against the Python modules' own. */
EXPORT void kernels_layout(int64_t *out) {
    int64_t values[] = {TEXT_ID, TEXT_NAME, MONEY, RATIO, INTEGER, SPELLED, DATE, INTS, DAYS, BITS, CODES, TEXTS,
                        FIGURE, RANGE, UP_TO, NON_MONETARY, ID_LIMIT, CELL_ROOM, LINE_ROOM};
    for (size_t k = 0; k < sizeof(values) / sizeof(values[0]); k++) out[k] = values[k];
}

/* ------------------------------------------------------------------------------------------------ reading */

/* White space as the profile model strips it (cells.WHITESPACE). */
static inline int is_space(int64_t point) {
    if (point <= 0x20) return point == 0x20 || (0x09 <= point && point <= 0x0D);
    if (point < 0x85) return 0;
    return point == 0x85 || point == 0xA0 || point == 0x1680 || (0x2000 <= point && point <= 0x200A) ||
           point == 0x2028 || point == 0x2029 || point == 0x202F || point == 0x205F || point == 0x3000;
}

/* A text cell stage one keeps as it is: valid UTF-8, at most `limit` characters (if not 0), no white space at
 * either end. */
static inline int text_ok(const uint8_t *buf, int64_t start, int64_t end, int64_t limit) {
    int64_t at = start, chars = 0, point = 0;
    while (at + 8 <= end) { /* ASCII (an id, a code) eight bytes at a time: a character a byte, spaces known */
        uint64_t word;
        memcpy(&word, buf + at, 8);
        if (word & UINT64_C(0x8080808080808080)) break;
        at += 8;
    }
    while (at < end && buf[at] < 0x80) at += 1;
    if (at == end)
        return end == start || (!is_space(buf[start]) && !is_space(buf[end - 1]) && (limit == 0 || end - start <= limit));
    at = start;
    while (at < end) {
        uint8_t b = buf[at];
        int64_t size, low = 0x80, high = 0xBF;
        if (b < 0x80) {
            point = b;
            size = 1;
        } else if (0xC2 <= b && b <= 0xDF) {
            point = b & 0x1F;
            size = 2;
        } else if (0xE0 <= b && b <= 0xEF) {
            point = b & 0x0F;
            size = 3;
            low = b == 0xE0 ? 0xA0 : 0x80;
            high = b == 0xED ? 0x9F : 0xBF;
        } else if (0xF0 <= b && b <= 0xF4) {
            point = b & 0x07;
            size = 4;
            low = b == 0xF0 ? 0x90 : 0x80;
            high = b == 0xF4 ? 0x8F : 0xBF;
        } else {
            return 0;
        }
        if (size > 1) {
            if (at + size > end || buf[at + 1] < low || buf[at + 1] > high) return 0;
            for (int64_t k = 1; k < size; k++) {
                if (k > 1 && (buf[at + k] < 0x80 || buf[at + k] > 0xBF)) return 0;
                point = (point << 6) | (buf[at + k] & 0x3F);
            }
        }
        if (at == start && is_space(point)) return 0;
        chars += 1;
        at += size;
    }
    return !is_space(point) && (limit == 0 || chars <= limit);
}

/* text_ok on its own, for tests/test_scan.py. */
EXPORT int64_t text_clean(const uint8_t *buf, int64_t size, int64_t limit) { return text_ok(buf, 0, size, limit); }

/* ^[0-9]{1,whole_max}(\.[0-9]{1,places})?$ as an integer count of 10**-places; -1 if not so spelled. At most
 * 18 digits in all, so the value fits. */
static inline int64_t decimal(const uint8_t *buf, int64_t start, int64_t end, int64_t whole_max, int64_t places) {
    int64_t value = 0, whole = 0, at = start;
    while (at < end && buf[at] >= '0' && buf[at] <= '9') {
        value = value * 10 + (buf[at] - '0');
        whole += 1;
        at += 1;
    }
    if (whole == 0 || whole > whole_max) return -1;
    int64_t decimals = 0;
    if (at < end) {
        if (buf[at] != '.') return -1;
        at += 1;
        while (at < end && buf[at] >= '0' && buf[at] <= '9') {
            value = value * 10 + (buf[at] - '0');
            decimals += 1;
            at += 1;
        }
        if (at < end || decimals == 0 || decimals > places) return -1;
    }
    for (int64_t k = decimals; k < places; k++) value *= 10;
    return value;
}

/* Up to eight bytes as a little-endian word, the bytes past `count` as zeros; all eight read at once when they
 * lie within the buffer (`whole`) on a little-endian machine. */
static inline uint64_t word_at(const uint8_t *p, int64_t count, int whole) {
    uint64_t word = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (whole) {
        memcpy(&word, p, 8);
        return count >= 8 ? word : word & ((UINT64_C(1) << (8 * count)) - 1);
    }
#else
    (void)whole;
#endif
    for (int64_t k = 0; k < count && k < 8; k++) word |= (uint64_t)p[k] << (8 * k);
    return word;
}

/* The hash of buf[start:end] (buf holding `size` bytes) a word at a time: each eight bytes, little-endian and the
 * last padded with zeros, mixed in by a multiply, then the high half folded onto the low (scan._hash_bytes
 * computes the same). */
static inline uint64_t word_hash(const uint8_t *buf, int64_t start, int64_t end, int64_t size, uint64_t *first) {
    *first = word_at(buf + start, end - start, start + 8 <= size); /* the whole cell if it is 8 bytes or fewer */
    uint64_t h = (HASH_START ^ *first) * HASH_PRIME;
    for (int64_t at = start + 8; at < end; at += 8)
        h = (h ^ word_at(buf + at, end - at, at + 8 <= size)) * HASH_PRIME;
    return h ^ (h >> 32);
}

/* A share in millionths: 0.85 or 1, or 85% with at most four decimals, or up to three whole digits; -1 if not
 * so spelled or above 1. */
static inline int64_t ratio(const uint8_t *buf, int64_t start, int64_t end) {
    int64_t value = (end > start && buf[end - 1] == '%') ? decimal(buf, start, end - 1, 3, 4)
                                                         : decimal(buf, start, end, 3, 6);
    return value <= 1000000 ? value : -1;
}

static inline int is_digit(uint8_t b) { return b >= '0' && b <= '9'; }

/* An ISO date YYYY-MM-DD as days since 1970-01-01; NO_DATE if not one. */
static inline int64_t iso_days(const uint8_t *buf, int64_t start, int64_t end) {
    static const int64_t lengths[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (end - start != 10 || buf[start + 4] != '-' || buf[start + 7] != '-') return NO_DATE;
    static const int places[8] = {0, 1, 2, 3, 5, 6, 8, 9};
    for (int k = 0; k < 8; k++)
        if (!is_digit(buf[start + places[k]])) return NO_DATE;
    const uint8_t *p = buf + start;
    int64_t year = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
    int64_t month = (p[5] - '0') * 10 + (p[6] - '0');
    int64_t day = (p[8] - '0') * 10 + (p[9] - '0');
    if (year < 1 || month < 1 || month > 12 || day < 1) return NO_DATE;
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (day > lengths[month - 1] + (month == 2 && leap)) return NO_DATE;
    /* days from civil (proleptic Gregorian), as in Howard Hinnant's algorithm; year >= 1 here */
    int64_t y = month <= 2 ? year - 1 : year;
    int64_t era = y / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = month <= 2 ? month + 9 : month - 3;
    int64_t doy = (153 * mp + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

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

/* Money as stage two reads it (frames._stage_two, applicant/values.py money): the separators , ， _ 元 dropped anywhere,
 * then ^[0-9]{1,16}(\.[0-9]{1,6})?(万)?$, at most two decimals without 万 and twelve whole digits with it; fen,
 * or -1 if not so spelled or above `bound`. */
static inline int64_t money_loose(const uint8_t *buf, int64_t start, int64_t end, int64_t bound) {
    int64_t whole = 0, whole_digits = 0, fraction = 0, fraction_digits = 0;
    int state = 0; /* 0: whole digits, 1: after the point, 2: after 万 */
    int64_t at = start;
    while (at < end) {
        uint8_t b = buf[at];
        if (b == ',' || b == '_') {
            at += 1;
            continue;
        }
        if (at + 3 <= end && ((b == 0xEF && buf[at + 1] == 0xBC && buf[at + 2] == 0x8C) ||   /* ， */
                              (b == 0xE5 && buf[at + 1] == 0x85 && buf[at + 2] == 0x83))) { /* 元 */
            at += 3;
            continue;
        }
        if (state == 2) return -1;
        if (at + 3 <= end && b == 0xE4 && buf[at + 1] == 0xB8 && buf[at + 2] == 0x87) { /* 万 */
            if (whole_digits == 0 || (state == 1 && fraction_digits == 0)) return -1;
            state = 2;
            at += 3;
            continue;
        }
        if (b >= '0' && b <= '9') {
            if (state == 0) {
                if (whole_digits == 16) return -1;
                whole = whole * 10 + (b - '0');
                whole_digits += 1;
            } else {
                if (fraction_digits == 6) return -1;
                fraction = fraction * 10 + (b - '0');
                fraction_digits += 1;
            }
        } else if (b == '.' && state == 0 && whole_digits > 0) {
            state = 1;
        } else {
            return -1;
        }
        at += 1;
    }
    if (whole_digits == 0 || (state == 1 && fraction_digits == 0)) return -1;
    int64_t fen;
    if (state == 2) {
        if (whole_digits > 12) return -1;
        for (int64_t k = fraction_digits; k < 6; k++) fraction *= 10;
        fen = whole * 1000000 + fraction;
    } else {
        if (fraction_digits > 2) return -1;
        for (int64_t k = fraction_digits; k < 2; k++) fraction *= 10;
        fen = whole * 100 + fraction;
    }
    return fen <= bound ? fen : -1;
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

/* What the pass below does with a non-empty cell of a column (its kind and store, decided once a block). */
enum { DO_TEXT, DO_BITS, DO_CODES, DO_DATE, DO_MONEY, DO_RATIO, DO_INTEGER };

/* A column's reading, worked out once a block from the caller's arrays: what to do with a cell, where its value
 * and its valid bit go, and `stop`, the first required column from this one on (`width` if none), which ends a
 * run of empty cells skipped at once. */
typedef struct {
    int64_t action, stop, bound, limit, mask;
    const int64_t *table; /* the column's table of spellings */
    uint8_t *valid;       /* the column's bits of cells given */
    void *values;         /* its row 0 in its store (starts, for text) */
    int64_t *ends;        /* for text */
} column_plan;

/* The lines of buf into the columns (see scan_block), each column read as plans[c] says. */
static int64_t scan_lines(const uint8_t *buf, int64_t size, int64_t width, const column_plan *plans,
                          const uint8_t *spell_data, const int64_t *spell_lo, const int64_t *spell_hi,
                          const int64_t *spell_value, const uint64_t *spell_word, int64_t crlf, int64_t rows,
                          uint8_t *flags, int64_t *lines) {
    int64_t row = 0, at = 0;
    while (at < size) {
        if (row >= rows) return -1; /* more lines than counted: not a block this function was given */
        lines[row] = at;
        const int64_t octet = row >> 3;
        const uint8_t bit = (uint8_t)(1u << (row & 7));
        int64_t column = 0;
        int clean = 1;
        uint8_t byte;
        for (;;) {
            int64_t cell = at, end;
            int quoted = 0, escaped = 0;
            byte = buf[at];
            if (byte == ',' && column < width) {
                /* empty cells that may be empty (most cells of a wide file): null, their values left as the
                 * zeroed arrays hold them, and their line as clean as it was; a run of them at once, up to
                 * the last column or the first required one (which the cell path below flags) */
                int64_t run = comma_run(buf, at, size), room = plans[column].stop - column;
                if (run > room) run = room;
                if (run > 0) {
                    column += run;
                    at += run;
                    continue;
                }
            }
            if (byte == '"') { /* a quoted cell: its text runs to the quote before a separator */
                int64_t close = cell_close(buf, at, &escaped);
                if (close < 0) return -1;
                quoted = 1;
                cell = at + 1;
                end = close;
                at = close + 1;
                byte = buf[at];
            } else {
                at = cell_stop(buf, at, size);
                byte = buf[at];
                if (byte == '"') return -1; /* a quote inside a cell: not this pass's block */
                end = at;
            }
            if (column >= width) {
                clean = 0;
            } else if (clean && quoted && (escaped || end == cell)) {
                clean = 0; /* a doubled quote in a cell, or "" (the usual readers decide these) */
            } else if (clean) {
                const column_plan *plan = plans + column;
                if (end == cell) { /* empty: null, unless required (the arrays come zeroed) */
                    clean = plan->stop != column;
                } else {
                    switch (plan->action) {
                    case DO_TEXT:
                        clean = text_ok(buf, cell, end, plan->limit);
                        ((int64_t *)plan->values)[row] = cell;
                        plan->ends[row] = end;
                        break;
                    case DO_BITS:
                    case DO_CODES: { /* look the cell up in its column's table of spellings */
                        int64_t value = -1, length = end - cell, mask = plan->mask;
                        uint64_t first;
                        int64_t place = (int64_t)(word_hash(buf, cell, end, size, &first) & (uint64_t)mask);
                        for (;;) {
                            int64_t number = plan->table[place];
                            if (number < 0) break;
                            if (spell_hi[number] - spell_lo[number] == length &&
                                (length <= 8 ? spell_word[number] == first
                                             : memcmp(spell_data + spell_lo[number], buf + cell,
                                                      (size_t)length) == 0)) {
                                value = spell_value[number];
                                break;
                            }
                            place = (place + 1) & mask;
                        }
                        clean = value >= 0;
                        if (plan->action == DO_BITS) {
                            if (value > 0) ((uint8_t *)plan->values)[octet] |= bit;
                        } else {
                            ((uint32_t *)plan->values)[row] = (uint32_t)(value > 0 ? value : 0);
                        }
                        break;
                    }
                    case DO_DATE: {
                        int64_t day = iso_days(buf, cell, end);
                        clean = day != NO_DATE;
                        ((int32_t *)plan->values)[row] = clean ? (int32_t)day : 0;
                        break;
                    }
                    default: {
                        int64_t value;
                        if (plan->action == DO_MONEY) { /* fen: canonical, else with separators or 万 (stage two) */
                            value = decimal(buf, cell, end, 16, 2);
                            if (value < 0) value = money_loose(buf, cell, end, plan->bound);
                        } else if (plan->action == DO_RATIO) { /* millionths */
                            value = ratio(buf, cell, end);
                        } else { /* a count: the CSV reader's integers, within stage one's bounds */
                            value = decimal(buf, cell, end, 18, 0);
                            if (value > plan->bound) value = -1;
                        }
                        clean = value >= 0;
                        ((int64_t *)plan->values)[row] = value;
                    }
                    }
                    if (clean) plan->valid[octet] |= bit;
                }
            }
            column += 1;
            if (byte != ',') break;
            at += 1;
        }
        if (byte == '\r') { /* a carriage return ends a line only before a line feed, and only in a CRLF file */
            if (!crlf || at + 1 >= size || buf[at + 1] != '\n') return -1;
            at += 1;
        } else if (crlf) {
            return -1;
        }
        at += 1;
        flags[row] = !clean || column != width;
        row += 1;
    }
    return row;
}

/* Every line of buf (`size` bytes, ending with a line end) into the output columns, flagging the lines that are
 * not clean; returns the number of lines, or -1 if a carriage return is out of place or a quote is not regular
 * (see quotes_regular). A quoted cell is read as its text; one holding a doubled quote, or empty, flags its line.
 * Column c is read as kinds[c] and stored in store stores[c], at row slots[c] of it; `valid` holds a bit per
 * cell given. The caller hands ints, days, codes (and bits) zeroed: an empty cell's value is left at 0. `rows`
 * (the number of lines) and `octets` ((rows + 7) / 8) are the strides of the two-dimensional outputs. A cell of
 * a choice is looked up in its column's table (table_at, table_mask) by its hash (scan._hash_bytes); spellings
 * of 8 bytes or fewer are compared with it as one word (spell_word), longer ones byte by byte. The columns'
 * plans (a few words each) are the one allocation; -1 (read the usual way) if it fails. */
EXPORT int64_t scan_block(const uint8_t *buf, int64_t size, int64_t width, const int64_t *kinds,
                          const int64_t *stores, const int64_t *slots, const int64_t *bounds, const uint8_t *required,
                          const uint8_t *spell_data, const int64_t *spell_lo, const int64_t *spell_hi,
                          const int64_t *spell_value, const uint64_t *spell_word, const int64_t *table,
                          const int64_t *table_at, const int64_t *table_mask, int64_t crlf, int64_t rows, int64_t octets, int64_t *ints,
                          int32_t *days, uint8_t *bits, uint32_t *codes, int64_t *starts, int64_t *ends,
                          uint8_t *valid, uint8_t *flags, int64_t *lines) {
    if (size > 0 && buf[size - 1] != '\n') return -1; /* every cell below ends at a separator */
    column_plan *plans = malloc(sizeof(column_plan) * (size_t)(width > 0 ? width : 1));
    if (plans == NULL) return -1;
    int64_t stop = width;
    for (int64_t column = width - 1; column >= 0; column--) {
        column_plan *plan = plans + column;
        int64_t kind = kinds[column], store = stores[column], slot = slots[column];
        if (required[column]) stop = column;
        plan->stop = stop;
        plan->bound = bounds[column];
        plan->limit = kind == TEXT_ID ? ID_LIMIT : 0;
        plan->mask = table_mask[column];
        plan->table = table + table_at[column];
        plan->valid = valid + column * octets;
        plan->ends = NULL;
        if (store == TEXTS) {
            plan->action = DO_TEXT;
            plan->values = starts + slot * rows;
            plan->ends = ends + slot * rows;
        } else if (kind == SPELLED) {
            plan->action = store == BITS ? DO_BITS : DO_CODES;
            plan->values = store == BITS ? (void *)(bits + slot * octets) : (void *)(codes + slot * rows);
        } else if (kind == DATE) {
            plan->action = DO_DATE;
            plan->values = days + slot * rows;
        } else {
            plan->action = kind == MONEY ? DO_MONEY : kind == RATIO ? DO_RATIO : DO_INTEGER;
            plan->values = ints + slot * rows;
        }
    }
    int64_t found = scan_lines(buf, size, width, plans, spell_data, spell_lo, spell_hi, spell_value, spell_word,
                               crlf, rows, flags, lines);
    free(plans);
    return found;
}

/* Arrow offsets of a text column (`valid`: a bit per row); returns the bytes it needs. */
EXPORT int64_t gather_offsets(const int64_t *starts, const int64_t *ends, const uint8_t *valid, int64_t rows,
                              int64_t *offsets) {
    int64_t total = 0;
    offsets[0] = 0;
    for (int64_t row = 0; row < rows; row++) {
        if ((valid[row >> 3] >> (row & 7)) & 1) total += ends[row] - starts[row];
        offsets[row + 1] = total;
    }
    return total;
}

/* The bytes of a text column, after gather_offsets. */
EXPORT void gather_data(const uint8_t *buf, const int64_t *starts, const int64_t *ends, const uint8_t *valid,
                        int64_t rows, uint8_t *data) {
    int64_t at = 0;
    for (int64_t row = 0; row < rows; row++) {
        if ((valid[row >> 3] >> (row & 7)) & 1) {
            memcpy(data + at, buf + starts[row], (size_t)(ends[row] - starts[row]));
            at += ends[row] - starts[row];
        }
    }
}

/* ------------------------------------------------------------------------------------------------ writing */

static inline int64_t put(uint8_t *out, int64_t at, const uint8_t *data, int64_t start, int64_t end) {
    memcpy(out + at, data + start, (size_t)(end - start));
    return at + end - start;
}

/* "00" to "99", two digits written at once. */
static const char PAIRS[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                               "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                               "8081828384858687888990919293949596979899";

/* The decimal digits of `magnitude`, ending at out[end - 1], two at a time. */
static inline void digits_before(uint8_t *out, int64_t end, uint64_t magnitude) {
    while (magnitude >= 100) {
        const char *pair = PAIRS + 2 * (magnitude % 100);
        magnitude /= 100;
        out[--end] = (uint8_t)pair[1];
        out[--end] = (uint8_t)pair[0];
    }
    if (magnitude >= 10) {
        out[--end] = (uint8_t)PAIRS[2 * magnitude + 1];
        out[--end] = (uint8_t)PAIRS[2 * magnitude];
    } else {
        out[--end] = (uint8_t)('0' + magnitude);
    }
}

static inline int64_t integer(uint8_t *out, int64_t at, int64_t value) {
    uint64_t magnitude = (uint64_t)value;
    if (value < 0) {
        out[at++] = '-';
        magnitude = (uint64_t)0 - magnitude;
    }
    if (magnitude < 10) { /* most counts */
        out[at] = (uint8_t)('0' + magnitude);
        return at + 1;
    }
    int64_t digits = 2;
    for (uint64_t bound = 100; digits < 20 && magnitude >= bound; bound *= 10) digits += 1;
    digits_before(out, at + digits, magnitude);
    return at + digits;
}

/* Fen as yuan with two decimals, as a Decimal(38, 2) is written: 1234.50, 0.05, -0.05. */
static inline int64_t yuan(uint8_t *out, int64_t at, int64_t fen) {
    if (fen == 0) { /* most totals */
        memcpy(out + at, "0.00", 4);
        return at + 4;
    }
    if (fen < 0) {
        out[at++] = '-';
        fen = -fen;
    }
    at = integer(out, at, fen / 100);
    const char *cents = PAIRS + 2 * (fen % 100);
    out[at] = '.';
    out[at + 1] = (uint8_t)cents[0];
    out[at + 2] = (uint8_t)cents[1];
    return at + 3;
}

/* Days since 1970-01-01 as YYYY-MM-DD (civil from days, Howard Hinnant's algorithm), years 1 to 9999. */
static inline int64_t date(uint8_t *out, int64_t at, int64_t days) {
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t day = doy - (153 * mp + 2) / 5 + 1;
    int64_t month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    const char *pairs[4] = {PAIRS + 2 * (year / 100), PAIRS + 2 * (year % 100), PAIRS + 2 * month, PAIRS + 2 * day};
    uint8_t *p = out + at;
    p[0] = (uint8_t)pairs[0][0], p[1] = (uint8_t)pairs[0][1], p[2] = (uint8_t)pairs[1][0], p[3] = (uint8_t)pairs[1][1];
    p[4] = '-', p[5] = (uint8_t)pairs[2][0], p[6] = (uint8_t)pairs[2][1];
    p[7] = '-', p[8] = (uint8_t)pairs[3][0], p[9] = (uint8_t)pairs[3][1];
    return at + 10;
}

/* The bytes that make a CSV writer quote a cell (QUOTED), the quote among them also doubled (DOUBLED). */
enum { QUOTED = 1, DOUBLED = 2 };
static const uint8_t SPECIAL[256] = {[','] = QUOTED, ['\n'] = QUOTED, ['\r'] = QUOTED, ['"'] = QUOTED | DOUBLED};

/* Text as a CSV writer quotes it when necessary, after the words lead[lead_start:lead_end] (which need no
 * quoting); with `defuse`, a leading formula character gets a '. */
static inline int64_t text(uint8_t *out, int64_t at, const uint8_t *data, int64_t start, int64_t end, int defuse,
                           const uint8_t *lead, int64_t lead_start, int64_t lead_end) {
    int prefix = defuse && end > start &&
                 (data[start] == '=' || data[start] == '+' || data[start] == '-' || data[start] == '@' ||
                  data[start] == '\t' || data[start] == '\r');
    int special = 0; /* SPECIAL's bits of the text's bytes: a table look-up a byte, no branch */
    int64_t k = start;
#ifdef SIXTEEN
    /* sixteen bytes at a time while they lie within the text: any byte to quote for, the quote apart */
    const __m128i comma = _mm_set1_epi8(','), feed = _mm_set1_epi8('\n'), carriage = _mm_set1_epi8('\r'),
                  quote_mark = _mm_set1_epi8('"');
    for (; k + 16 <= end; k += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(data + k));
        __m128i quotes = _mm_cmpeq_epi8(v, quote_mark);
        __m128i others = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, feed)),
                                      _mm_cmpeq_epi8(v, carriage));
        if (_mm_movemask_epi8(quotes)) special |= QUOTED | DOUBLED;
        if (_mm_movemask_epi8(others)) special |= QUOTED;
    }
#endif
    for (; k < end; k++) special |= SPECIAL[data[k]];
    int quote = special || (end == start && !prefix && lead_end == lead_start);
    if (quote) out[at++] = '"';
    if (prefix) out[at++] = '\'';
    at = put(out, at, lead, lead_start, lead_end);
    if (special & DOUBLED) {
        for (int64_t k = start; k < end; k++) {
            out[at++] = data[k];
            if (data[k] == '"') out[at++] = '"';
        }
    } else {
        at = put(out, at, data, start, end);
    }
    if (quote) out[at++] = '"';
    return at;
}

/* The first rule from `r` on that holds for the applicant (its outcome's position is not -1), or `rules`. */
static inline int64_t holding(const int32_t *mine, int64_t r, int64_t rules) {
#ifdef SIXTEEN
    for (; r + 16 <= rules; r += 16) { /* sixteen positions' signs at once */
        const __m128i *p = (const __m128i *)(mine + r);
        __m128i low = _mm_packs_epi32(_mm_loadu_si128(p), _mm_loadu_si128(p + 1));
        __m128i high = _mm_packs_epi32(_mm_loadu_si128(p + 2), _mm_loadu_si128(p + 3));
        unsigned held = ~(unsigned)_mm_movemask_epi8(_mm_packs_epi16(low, high)) & 0xFFFFu;
        if (held) return r + __builtin_ctz(held);
    }
#endif
    while (r < rules && mine[r] < 0) r += 1;
    return r;
}

/* `count` separators at out[at]: sixteen at a time where they can be (a line's room leaves sixteen to spare). */
static inline int64_t commas(uint8_t *out, int64_t at, int64_t count) {
#ifdef SIXTEEN
    const __m128i sixteen = _mm_set1_epi8(',');
    for (int64_t k = 0; k < count; k += 16) _mm_storeu_si128((__m128i *)(out + at + k), sixteen);
#else
    memset(out + at, ',', (size_t)count);
#endif
    return at + count;
}

/* Lines for applicants start … stop-1 into `out` (`size` bytes): returns the applicant after the last written,
 * and the bytes used in *used. Stops early when `out` may not hold the next line. `positions` (an applicant's
 * outcome under each of `rules` rules, -1 where the rule does not hold) has `rules` columns. Words
 * (word_offsets): 0 expired, 1 not yet in force, 2 non-monetary, 3 unquantified, 4 'up to ', 5 'needs ',
 * 6 ' – ', then the kinds' names, then from `city_base` the cities' names, then 'not combined'. `codes` holds
 * the statuses' and amount kinds' numbers: eligible, expired, exact, estimate, range, up_to, unquantified,
 * non_monetary, incomplete, then not_combined's status number and the number of its word. */
EXPORT int64_t write_lines(int64_t start, int64_t stop, const int64_t *rows, const int64_t *days,
                           const uint8_t *id_data, const int64_t *id_offsets, const uint8_t *id_valid,
                           const uint8_t *name_data, const int64_t *name_offsets, const uint8_t *name_valid,
                           const int64_t *kinds, const int64_t *cities, int64_t city_base, const uint8_t *word_data,
                           const int64_t *word_offsets, const int32_t *positions, int64_t rules,
                           const int64_t *status, const int64_t *kind, const int64_t *value,
                           const uint8_t *value_valid, const int64_t *low, const uint8_t *low_valid,
                           const int64_t *high, const uint8_t *high_valid, const uint8_t *missing_data,
                           const int64_t *missing_offsets, const uint8_t *missing_valid, const int64_t *rule_shape,
                           const uint8_t *rule_grant, const uint8_t *rule_relief, const uint8_t *rule_loan,
                           const uint8_t *rule_counted, const int64_t *codes, uint8_t *out, int64_t size,
                           int64_t *used) {
    const int64_t ELIGIBLE = codes[0], EXPIRED = codes[1], EXACT = codes[2], ESTIMATE = codes[3],
                  RANGED = codes[4], UPTO = codes[5], UNQUANTIFIED = codes[6], NONMONETARY = codes[7],
                  INCOMPLETE = codes[8], NOT_COMBINED = codes[9], NOT_COMBINED_WORD = codes[10];
    int64_t at = 0;
    for (int64_t i = start; i < stop; i++) {
        const int32_t *mine = positions + i * rules;
        /* room for the line but the lists of missing facts, whose room is made sure of where one is written */
        int64_t line = at, room = LINE_ROOM + CELL_ROOM * rules + 2 * (id_offsets[i + 1] - id_offsets[i]) +
                                  2 * (name_offsets[i + 1] - name_offsets[i]);
        if (at + room > size) {
            *used = at;
            return i;
        }
        at = integer(out, at, rows[i]);
        out[at++] = ',';
        if (id_valid[i]) at = text(out, at, id_data, id_offsets[i], id_offsets[i + 1], 1, word_data, 0, 0);
        out[at++] = ',';
        if (name_valid[i]) at = text(out, at, name_data, name_offsets[i], name_offsets[i + 1], 1, word_data, 0, 0);
        out[at++] = ',';
        at = put(out, at, word_data, word_offsets[7 + kinds[i]], word_offsets[8 + kinds[i]]);
        out[at++] = ',';
        at = put(out, at, word_data, word_offsets[city_base + cities[i]], word_offsets[city_base + cities[i] + 1]);
        out[at++] = ',';
        at = date(out, at, days[i]);
        int64_t grants = 0, grants_min = 0, grants_max = 0, relief = 0, loan = 0;
        int64_t unquantified = 0, non_monetary = 0, incomplete = 0;
        for (int64_t r = 0; r < rules; r++) {
            int64_t next = holding(mine, r, rules); /* the cells between are empty */
            at = commas(out, at, next - r + (next < rules));
            r = next;
            if (r == rules) break;
            int64_t j = mine[r];
            int eligible = status[j] == ELIGIBLE;
            int64_t k = kind[j];
            /* the cell (layouts.wide_cell) */
            if (!eligible) {
                int64_t word = status[j] == EXPIRED ? 0 : status[j] == NOT_COMBINED ? NOT_COMBINED_WORD : 1;
                at = put(out, at, word_data, word_offsets[word], word_offsets[word + 1]);
            } else if (rule_shape[r] == NON_MONETARY) {
                at = put(out, at, word_data, word_offsets[2], word_offsets[3]);
            } else if (rule_shape[r] == UP_TO) {
                if (high_valid[j]) {
                    at = put(out, at, word_data, word_offsets[4], word_offsets[5]);
                    at = yuan(out, at, high[j]);
                } else {
                    at = put(out, at, word_data, word_offsets[3], word_offsets[4]);
                }
            } else if (k == INCOMPLETE) {
                if (missing_valid[j] && at + 2 * (missing_offsets[j + 1] - missing_offsets[j]) +
                                                 CELL_ROOM * (rules - r) + LINE_ROOM > size) {
                    *used = line; /* this line may not fit after all: left for the next call */
                    return i;
                }
                if (missing_valid[j]) /* "needs a, b": quoted, as the names are joined by ", " */
                    at = text(out, at, missing_data, missing_offsets[j], missing_offsets[j + 1], 0, word_data,
                              word_offsets[5], word_offsets[6]);
            } else if (rule_shape[r] == RANGE) {
                if (low_valid[j] && high_valid[j]) {
                    at = yuan(out, at, low[j]);
                    at = put(out, at, word_data, word_offsets[6], word_offsets[7]);
                    at = yuan(out, at, high[j]);
                }
            } else if (value_valid[j]) {
                at = yuan(out, at, value[j]);
            }
            /* the totals (layouts.BatchResult.totals, outcome.contributions): a draft's add to none */
            if (!eligible || !rule_counted[r]) continue;
            int quantified = (k == EXACT || k == ESTIMATE) && value_valid[j];
            if (quantified && rule_grant[r]) {
                grants += value[j];
                grants_min += value[j];
                grants_max += value[j];
            } else if (k == RANGED) {
                if (low_valid[j]) grants_min += low[j];
                if (high_valid[j]) grants_max += high[j];
            }
            if (quantified && rule_relief[r]) relief += value[j];
            if (quantified && rule_loan[r]) loan += value[j];
            if (k == UPTO || k == UNQUANTIFIED) unquantified += 1;
            else if (k == NONMONETARY) non_monetary += 1;
            else if (k == INCOMPLETE) incomplete += 1;
        }
        int64_t figures[5] = {grants, grants_min, grants_max, relief, loan};
        for (int f = 0; f < 5; f++) {
            out[at++] = ',';
            at = yuan(out, at, figures[f]);
        }
        int64_t counts[3] = {unquantified, non_monetary, incomplete};
        for (int c = 0; c < 3; c++) {
            out[at++] = ',';
            at = integer(out, at, counts[c]);
        }
        out[at++] = '\n';
    }
    *used = at;
    return stop;
}

/* ------------------------------------------------------------------------------------------------ seen */

/* For each of n rows, in order, the first row with its key (itself if new, then remembered) into `first`;
 * returns the rows added. An open-addressing table of `capacity` slots (a row of 0 marks an empty slot), never
 * full (SeenTable grows it first). */
EXPORT int64_t seen_first(const uint64_t *keys, const uint32_t *rows, int64_t n, uint64_t *table_keys,
                          uint32_t *table_rows, int64_t capacity, uint32_t *first) {
    int64_t added = 0;
    for (int64_t i = 0; i < n; i++) {
        uint64_t key = keys[i];
        uint64_t slot = ((key >> 32) * (uint64_t)capacity) >> 32; /* the key's top bits scaled to the table */
        for (;;) {
            if (table_rows[slot] == 0) {
                table_keys[slot] = key;
                table_rows[slot] = rows[i];
                first[i] = rows[i];
                added += 1;
                break;
            }
            if (table_keys[slot] == key) {
                first[i] = table_rows[slot];
                break;
            }
            slot += 1;
            if (slot == (uint64_t)capacity) slot = 0;
        }
    }
    return added;
}

/* ------------------------------------------------------------------------------------------------ module */

static struct PyModuleDef kernels_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_kernels",
    .m_doc = "Compiled passes of the batch path; loaded with ctypes by guangxi_subsidy.engine.native.",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&kernels_module); }
