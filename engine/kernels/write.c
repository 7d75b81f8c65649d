/* The writer's pass (engine/batch/widecsv.py): the wide CSV lines of a batch, each applicant's cells and totals
 * written from the outcomes' arrays, text quoted as a CSV writer quotes it.
 */
#include "kernels.h"

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

/* A text of an Arrow string view array (`views`, 16 bytes a text; `buffers`, the addresses of its data buffers):
 * where its bytes are, and their number in *length. A text of 12 bytes or fewer is held in its view. */
static inline const uint8_t *view_text(const uint8_t *views, const uint64_t *buffers, int64_t i, int64_t *length) {
    const uint8_t *view = views + 16 * i;
    int32_t size, index, offset;
    memcpy(&size, view, 4);
    *length = size;
    if (size <= 12) return view + 4;
    memcpy(&index, view + 8, 4);
    memcpy(&offset, view + 12, 4);
    return (const uint8_t *)(uintptr_t)buffers[index] + offset;
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
                           const uint8_t *id_views, const uint64_t *id_buffers, const uint8_t *id_valid,
                           const uint8_t *name_views, const uint64_t *name_buffers, const uint8_t *name_valid,
                           const int64_t *kinds, const int64_t *cities, int64_t city_base, const uint8_t *word_data,
                           const int64_t *word_offsets, const int32_t *positions, int64_t rules,
                           const int64_t *status, const int64_t *kind, const int64_t *value,
                           const uint8_t *value_valid, const int64_t *low, const uint8_t *low_valid,
                           const int64_t *high, const uint8_t *high_valid, const uint8_t *missing_views,
                           const uint64_t *missing_buffers, const uint8_t *missing_valid, const int64_t *rule_shape,
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
        int64_t id_length = 0, name_length = 0;
        const uint8_t *id = id_valid[i] ? view_text(id_views, id_buffers, i, &id_length) : word_data;
        const uint8_t *name = name_valid[i] ? view_text(name_views, name_buffers, i, &name_length) : word_data;
        int64_t line = at, room = LINE_ROOM + CELL_ROOM * rules + 2 * id_length + 2 * name_length;
        if (at + room > size) {
            *used = at;
            return i;
        }
        at = integer(out, at, rows[i]);
        out[at++] = ',';
        if (id_valid[i]) at = text(out, at, id, 0, id_length, 1, word_data, 0, 0);
        out[at++] = ',';
        if (name_valid[i]) at = text(out, at, name, 0, name_length, 1, word_data, 0, 0);
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
                int64_t missing_length = 0;
                const uint8_t *missing =
                    missing_valid[j] ? view_text(missing_views, missing_buffers, j, &missing_length) : word_data;
                if (missing_valid[j] && at + 2 * missing_length + CELL_ROOM * (rules - r) + LINE_ROOM > size) {
                    *used = line; /* this line may not fit after all: left for the next call */
                    return i;
                }
                if (missing_valid[j]) /* "needs a, b": quoted, as the names are joined by ", " */
                    at = text(out, at, missing, 0, missing_length, 0, word_data, word_offsets[5], word_offsets[6]);
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
