/* The reader's pass (engine/intake/scan.py): the clean lines of a CSV block into typed columns, each column's
 * reading worked out once a block; then a text column's cells gathered into Arrow's offsets and bytes.
 */
#include "cells.h"
#include "kernels.h"
#include "split.h"

/* text_ok on its own, for tests/test_scan.py. */
EXPORT int64_t text_clean(const uint8_t *buf, int64_t size, int64_t limit) { return text_ok(buf, 0, size, limit); }


/* What the pass below does with a non-empty cell of a column (its kind and store, decided once a block). */
enum { DO_TEXT, DO_BITS, DO_CODES, DO_DATE, DO_MONEY, DO_RATIO, DO_INTEGER };

/* A slot of a column's table of spellings as the pass compares a cell with it: the spelling's first eight bytes
 * as one word (all of it, zero-padded, if it is 8 bytes or fewer), its length (-1: an empty slot), its value and
 * where its bytes are. Copied once a block from the caller's arrays, so that a look-up reads one place. */
typedef struct {
    uint64_t word;
    int64_t length, value, lo;
} spelling;

/* A column's reading, worked out once a block from the caller's arrays: what to do with a cell, where its value
 * and its valid bit go, and `stop`, the first required column from this one on (`width` if none), which ends a
 * run of empty cells skipped at once. */
typedef struct {
    int64_t action, stop, bound, limit, mask;
    const spelling *table; /* the column's table of spellings */
    uint8_t *valid;       /* the column's bits of cells given */
    void *values;         /* its row 0 in its store (starts, for text) */
    int64_t *ends;        /* for text */
} column_plan;

/* The lines of buf into the columns (see scan_block), each column read as plans[c] says. */
static int64_t scan_lines(const uint8_t *buf, int64_t size, int64_t width, const column_plan *plans,
                          const uint8_t *spell_data, int64_t crlf, int64_t rows, uint8_t *flags, int64_t *lines) {
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
                            const spelling *slot = plan->table + place;
                            if (slot->length < 0) break;
                            if (slot->length == length &&
                                (length <= 8 ? slot->word == first
                                             : memcmp(spell_data + slot->lo, buf + cell, (size_t)length) == 0)) {
                                value = slot->value;
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
    /* the plans, then each column's table of spellings as the pass reads it (a table shared by columns copied
     * for each: a few dozen slots) */
    int64_t slots_needed = 0;
    for (int64_t column = 0; column < width; column++)
        if (kinds[column] == SPELLED && stores[column] != TEXTS) slots_needed += table_mask[column] + 1;
    column_plan *plans = malloc(sizeof(column_plan) * (size_t)(width > 0 ? width : 1) +
                                sizeof(spelling) * (size_t)slots_needed);
    if (plans == NULL) return -1;
    spelling *spellings = (spelling *)(plans + (width > 0 ? width : 1));
    int64_t stop = width;
    for (int64_t column = width - 1; column >= 0; column--) {
        column_plan *plan = plans + column;
        int64_t kind = kinds[column], store = stores[column], slot = slots[column];
        if (required[column]) stop = column;
        plan->stop = stop;
        plan->bound = bounds[column];
        plan->limit = kind == TEXT_ID ? ID_LIMIT : 0;
        plan->mask = table_mask[column];
        plan->table = NULL;
        plan->valid = valid + column * octets;
        plan->ends = NULL;
        if (store == TEXTS) {
            plan->action = DO_TEXT;
            plan->values = starts + slot * rows;
            plan->ends = ends + slot * rows;
        } else if (kind == SPELLED) {
            plan->action = store == BITS ? DO_BITS : DO_CODES;
            plan->table = spellings;
            for (int64_t place = 0; place <= plan->mask; place++, spellings++) {
                int64_t number = table[table_at[column] + place];
                spellings->length = number < 0 ? -1 : spell_hi[number] - spell_lo[number];
                spellings->word = number < 0 ? 0 : spell_word[number];
                spellings->value = number < 0 ? -1 : spell_value[number];
                spellings->lo = number < 0 ? 0 : spell_lo[number];
            }
            plan->values = store == BITS ? (void *)(bits + slot * octets) : (void *)(codes + slot * rows);
        } else if (kind == DATE) {
            plan->action = DO_DATE;
            plan->values = days + slot * rows;
        } else {
            plan->action = kind == MONEY ? DO_MONEY : kind == RATIO ? DO_RATIO : DO_INTEGER;
            plan->values = ints + slot * rows;
        }
    }
    int64_t found = scan_lines(buf, size, width, plans, spell_data, crlf, rows, flags, lines);
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
