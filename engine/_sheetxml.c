/* The cells of a worksheet's <sheetData>, read from its XML bytes a block of rows at a time, in C
 * (engine/intake/sheetcells.py holds the rest: blocks, shared strings, numbers, dates, what a row is).
 *
 * It reads the XML that Excel, LibreOffice, xlsxwriter and openpyxl write, and only that: rows and cells with
 * their `r` attributes, in double quotes, cells with at most one <f>, one <v> and one <is> holding one <t>.
 * Anything else (a comment, CDATA, an element it does not know, a row or cell without `r`, rich text) stops it
 * with NOT_MINE at that row, and the caller reads the sheet from there with openpyxl's parser, which knows the
 * whole of XML: so this scanner is never the judge of a file, only a fast path for the usual ones. A row whose
 * number does not follow the previous one's is reported (OUT_OF_ORDER), as the caller refuses it.
 *
 * Per cell it gives: the row (its number), the column (from 0), the type (T_*), the style (0 when none is
 * given, as openpyxl reads it; -1 for s=""), flags (F_*) and its text, copied into `data` at offsets[i]..offsets[i + 1] (a <v>'s text, or an inline string's
 * <t>), still escaped as in the XML when F_ESCAPED is set. Every write stays within the sizes the caller
 * allocates from the block's length (a cell takes at least 11 bytes of XML, a row 10; text is copied from the
 * block, so never longer than it). Loaded with ctypes; allocates nothing.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

enum { T_N, T_S, T_STR, T_INLINE, T_B, T_E, T_D };
enum { F_FORMULA = 1, F_VALUE = 2, F_ESCAPED = 4, F_INLINE = 8, F_TEXT = 16, F_UNVALUED = 32, F_INT = 64,
       F_FLOAT = 128 };
/* F_TEXT: the cell has a value as openpyxl reads it (an inline string's <is>, else a <v> not empty); F_UNVALUED: a
 * formula without a value; F_INT: a number written as a whole number prints as itself (0, or no leading zero);
 * F_FLOAT: a number written -?digits[.digits][e±digits], for polars to read. */
enum { DONE = 0, MORE = 1, NOT_MINE = 2, OUT_OF_ORDER = 3 };
/* state: [0] bytes consumed (whole rows), [1] rows, [2] cells, [3] status, [4] the row number reached */

typedef struct {
    const uint8_t *p, *end;
} Cursor;

static inline int is_ws(uint8_t b) { return b == ' ' || b == '\t' || b == '\n' || b == '\r'; }
static uint8_t name_byte[256];  /* the bytes of a name as the scanner knows names (ASCII): made by make_tables */
static inline int is_name(uint8_t b) { return name_byte[b]; }

static inline void skip_ws(Cursor *c) {
    while (c->p < c->end && is_ws(*c->p)) c->p++;
}

/* Does the text at the cursor start with `word`, followed by a byte that ends a tag name? -1: out of bytes. */
static inline int tag(Cursor *c, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n + 1) return -1;
    if (memcmp(c->p, word, n) != 0) return 0;
    uint8_t after = c->p[n];
    return (is_ws(after) || after == '>' || after == '/') ? 1 : 0;
}

/* Bytes that stop a run of plain text: '<', '&', '\r', ']' (of "]]>"), a control character XML does not allow,
 * and any byte from 0x80 (the start of a UTF-8 sequence, checked whole); the same for an attribute's value with '"'
 * and without '\r' and ']'. Runs of plain bytes are then skipped one table look-up a byte. */
static uint8_t text_stop[256], value_stop[256];
static int tables_made = 0;

static void make_tables(void) {
    for (int b = 0; b < 256; b++) {
        int control = b < 0x20 && b != '\t' && b != '\n' && b != '\r';
        text_stop[b] = (uint8_t)(control || b == '<' || b == '&' || b == '\r' || b == ']' || b >= 0x80);
        value_stop[b] = (uint8_t)(control || b == '<' || b == '&' || b == '"' || b >= 0x80);
        name_byte[b] = (uint8_t)((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
                                 b == '_' || b == ':' || b == '-' || b == '.');
    }
    tables_made = 1;
}

/* The UTF-8 sequence at p (its first byte from 0x80) as one character XML allows: its length; 0 when it is not
 * UTF-8 (overlong, a surrogate, past U+10FFFF) or a character XML forbids (U+FFFE, U+FFFF); -1 when the bytes
 * end first. A parser refuses such a file; the scanner leaves it to the parser. */
static inline int utf8_char(const uint8_t *p, const uint8_t *end) {
    uint8_t b = p[0];
    int n;
    uint32_t code;
    if (b < 0xC2) return 0;
    if (b < 0xE0) { n = 2; code = b & 0x1F; }
    else if (b < 0xF0) { n = 3; code = b & 0x0F; }
    else if (b < 0xF5) { n = 4; code = b & 0x07; }
    else return 0;
    if (end - p < n) return -1;
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        code = (code << 6) | (p[i] & 0x3F);
    }
    if (n == 3 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF) || code >= 0xFFFE)) return 0;
    if (n == 4 && (code < 0x10000 || code > 0x10FFFF)) return 0;
    return n;
}

/* One attribute: name and the span of its value (double quotes only). 1 read, 0 end of tag ('>' or '/>',
 * `closed` set for '/>'), -1 out of bytes, -2 not ours. */
static int attribute(Cursor *c, const uint8_t **name, size_t *name_len, const uint8_t **value, size_t *value_len,
                     int *closed) {
    skip_ws(c);
    if (c->p >= c->end) return -1;
    if (*c->p == '>') { c->p++; *closed = 0; return 0; }
    if (*c->p == '/') {
        if (c->p + 1 >= c->end) return -1;
        if (c->p[1] != '>') return -2;
        c->p += 2; *closed = 1; return 0;
    }
    *name = c->p;
    while (c->p < c->end && is_name(*c->p)) c->p++;
    if (c->p >= c->end) return -1;
    *name_len = (size_t)(c->p - *name);
    if (*name_len == 0) return -2;
    skip_ws(c);
    if (c->p >= c->end) return -1;
    if (*c->p != '=') return -2;
    c->p++;
    skip_ws(c);
    if (c->p >= c->end) return -1;
    if (*c->p != '"') return -2;
    c->p++;
    *value = c->p;
    for (;;) {
        while (c->p < c->end && !value_stop[*c->p]) c->p++;
        if (c->p >= c->end) return -1;
        if (*c->p == '"') break;
        if (*c->p < 0x80) return -2;
        int n = utf8_char(c->p, c->end);
        if (n <= 0) return n == 0 ? -2 : -1;
        c->p += n;
    }
    *value_len = (size_t)(c->p - *value);
    c->p++;
    return 1;
}

/* Text up to '<', then the closing tag `close` ("</v>"); a character XML does not allow in text, or bytes that
 * are not UTF-8, are not ours (the parser refuses them, as before). Its span in start and len; `escaped` set
 * when it holds '&' or '\r' (which XML turns into other text). 1 read, -1 out of bytes, -2 not ours. */
static int text_until(Cursor *c, const char *close, const uint8_t **start, size_t *len, int *escaped) {
    const uint8_t *p = c->p, *end = c->end;
    *start = p;
    for (;;) {
        while (p < end && !text_stop[*p]) p++;
        if (p >= end) { c->p = p; return -1; }
        uint8_t b = *p;
        if (b == '<') break;
        if (b == '&' || b == '\r') { *escaped = 1; p++; }
        else if (b == ']') {
            if (end - p >= 3 && p[1] == ']' && p[2] == '>') return -2;
            p++;
        } else if (b >= 0x80) {
            int n = utf8_char(p, end);
            if (n <= 0) return n == 0 ? -2 : -1;
            p += n;
        } else {
            return -2;  /* not a character XML allows */
        }
    }
    c->p = p;
    size_t n = strlen(close);
    if ((size_t)(end - p) < n) return -1;
    *len = (size_t)(p - *start);
    if (memcmp(p, close, n) != 0) return -2;
    c->p += n;
    return 1;
}

static inline int same(const uint8_t *a, size_t n, const char *b) { return n == strlen(b) && memcmp(a, b, n) == 0; }

/* The <c> at the cursor (past "<c"). 1 read, -1 out of bytes, -2 not ours. */
static int cell(Cursor *c, int32_t *column, uint8_t *type, int32_t *style, uint8_t *flags, const uint8_t **text,
                size_t *text_len) {
    const uint8_t *name, *value;
    size_t name_len, value_len;
    int closed = 0, got, has_r = 0;
    *type = T_N; *style = 0; *flags = 0; *text = NULL; *text_len = 0;
    while ((got = attribute(c, &name, &name_len, &value, &value_len, &closed)) == 1) {
        if (same(name, name_len, "r")) {
            int32_t col = 0;
            size_t k = 0;
            while (k < value_len && value[k] >= 'A' && value[k] <= 'Z' && k < 3) col = col * 26 + (value[k++] - 'A' + 1);
            if (k == 0 || k == value_len || col > 16384) return -2;
            for (size_t j = k; j < value_len; j++) if (value[j] < '0' || value[j] > '9') return -2;
            *column = col - 1;
            has_r = 1;
        } else if (same(name, name_len, "t")) {
            if (same(value, value_len, "n")) *type = T_N;
            else if (same(value, value_len, "s")) *type = T_S;
            else if (same(value, value_len, "str")) *type = T_STR;
            else if (same(value, value_len, "inlineStr")) *type = T_INLINE;
            else if (same(value, value_len, "b")) *type = T_B;
            else if (same(value, value_len, "e")) *type = T_E;
            else if (same(value, value_len, "d")) *type = T_D;
            else return -2;
        } else if (same(name, name_len, "s")) {
            if (value_len > 9) return -2;
            int32_t s = 0;
            for (size_t j = 0; j < value_len; j++) {
                if (value[j] < '0' || value[j] > '9') return -2;
                s = s * 10 + (value[j] - '0');
            }
            *style = value_len ? s : -1;
        }
    }
    if (got != 0) return got;
    if (!has_r) return -2;
    if (closed) return 1;
    int seen_f = 0, seen_v = 0, seen_is = 0;
    for (;;) {
        skip_ws(c);
        if (c->end - c->p < 5) return -1;
        if (memcmp(c->p, "</c>", 4) == 0) { c->p += 4; return 1; }
        int escaped = 0;
        if ((got = tag(c, "<f")) != 0) {
            if (got < 0) return got;
            if (seen_f++) return -2;
            c->p += 2;
            while ((got = attribute(c, &name, &name_len, &value, &value_len, &closed)) == 1) {}
            if (got != 0) return got;
            *flags |= F_FORMULA;
            if (!closed) {
                const uint8_t *s; size_t n;
                if ((got = text_until(c, "</f>", &s, &n, &escaped)) != 1) return got;
            }
        } else if ((got = tag(c, "<v")) != 0) {
            if (got < 0) return got;
            if (seen_v++) return -2;
            c->p += 2;
            if ((got = attribute(c, &name, &name_len, &value, &value_len, &closed)) != 0) return got == 1 ? -2 : got;
            if (closed) continue;
            const uint8_t *s; size_t n;
            if ((got = text_until(c, "</v>", &s, &n, &escaped)) != 1) return got;
            if (n) *flags |= F_VALUE;
            if (*type != T_INLINE) {
                *text = s; *text_len = n;
                if (escaped) *flags |= F_ESCAPED;
            }
        } else if ((got = tag(c, "<is")) != 0) {
            if (got < 0) return got;
            if (seen_is++) return -2;
            c->p += 3;
            if ((got = attribute(c, &name, &name_len, &value, &value_len, &closed)) != 0) return got == 1 ? -2 : got;
            if (closed) return -2;  /* an empty <is/>: openpyxl reads it as "", rare enough to leave to it */
            skip_ws(c);
            if ((got = tag(c, "<t")) != 1) return got == 0 ? -2 : got;
            c->p += 2;
            while ((got = attribute(c, &name, &name_len, &value, &value_len, &closed)) == 1) {}
            if (got != 0) return got;
            const uint8_t *s = c->p; size_t n = 0;
            if (!closed && (got = text_until(c, "</t>", &s, &n, &escaped)) != 1) return got;
            skip_ws(c);
            if (c->end - c->p < 5) return -1;
            if (memcmp(c->p, "</is>", 5) != 0) return -2;
            c->p += 5;
            if (*type == T_INLINE) {
                *text = s; *text_len = n;
                *flags |= F_INLINE;
                if (escaped) *flags |= F_ESCAPED;
            }
        } else {
            return -2;
        }
    }
}

/* What openpyxl makes of the cell's text, where the caller can tell without Python. */
static uint8_t settle(uint8_t type, uint8_t flags, const uint8_t *text, size_t n) {
    if (type == T_INLINE ? (flags & F_INLINE) : (flags & F_VALUE)) flags |= F_TEXT;
    if ((flags & F_FORMULA) && !(flags & F_VALUE)) flags |= F_UNVALUED;
    if (type != T_N || !(flags & F_TEXT) || (flags & F_ESCAPED) || n > 40) return flags;
    size_t k = (text[0] == '-') ? 1 : 0, digits = 0;
    while (k < n && text[k] >= '0' && text[k] <= '9') { k++; digits++; }
    if (k == n && digits) {
        if (text[text[0] == '-'] != '0' || (digits == 1 && text[0] != '-')) return flags | F_INT;
        return flags;
    }
    if (!digits) return flags;
    if (k < n && text[k] == '.') {
        k++;
        size_t fraction = 0;
        while (k < n && text[k] >= '0' && text[k] <= '9') { k++; fraction++; }
        if (!fraction) return flags;
    }
    if (k < n && (text[k] == 'e' || text[k] == 'E')) {
        k++;
        if (k < n && (text[k] == '-' || text[k] == '+')) k++;
        size_t exponent = 0;
        while (k < n && text[k] >= '0' && text[k] <= '9' && exponent < 4) { k++; exponent++; }
        if (!exponent || exponent > 3) return flags;
    }
    return k == n ? (flags | F_FLOAT) : flags;
}

/* The rows of `buf` from its start (just inside <sheetData>, or where the previous call stopped). */
EXPORT void sheet_cells(const uint8_t *buf, int64_t len, int64_t last_row, int64_t *rows, int64_t *cell_row,
                        int32_t *cell_col, uint8_t *cell_type, int32_t *cell_style, uint8_t *cell_flags,
                        int64_t *offsets, uint8_t *data, int64_t *state) {
    Cursor c = {buf, buf + len};
    if (!tables_made) make_tables();
    int64_t n_rows = 0, n_cells = 0, consumed = 0, at = 0;
    int status = MORE;
    offsets[0] = 0;
    for (;;) {
        const uint8_t *row_start = c.p;
        int64_t cells_before = n_cells, at_before = at;
        skip_ws(&c);
        if (c.end - c.p < 13) { consumed = row_start - buf; break; }
        if (memcmp(c.p, "</sheetData>", 12) == 0) { consumed = c.p - buf; status = DONE; break; }
        int got = tag(&c, "<row");
        if (got != 1) { consumed = row_start - buf; status = got == 0 ? NOT_MINE : MORE; break; }
        c.p += 4;
        const uint8_t *name, *value;
        size_t name_len, value_len;
        int closed = 0;
        int64_t number = -1;
        while ((got = attribute(&c, &name, &name_len, &value, &value_len, &closed)) == 1) {
            if (same(name, name_len, "r")) {
                if (value_len == 0 || value_len > 9) { got = -2; break; }
                number = 0;
                for (size_t j = 0; j < value_len; j++) {
                    if (value[j] < '0' || value[j] > '9') { got = -2; break; }
                    number = number * 10 + (value[j] - '0');
                }
                if (got == -2) break;
            }
        }
        if (got == 0 && number < 0) got = -2;
        if (got == 0 && !closed) {
            for (;;) {
                skip_ws(&c);
                if (c.end - c.p < 6) { got = -1; break; }
                if (memcmp(c.p, "</row>", 6) == 0) { c.p += 6; break; }
                if ((got = tag(&c, "<c")) != 1) { got = got == 0 ? -2 : got; break; }
                c.p += 2;
                const uint8_t *text; size_t text_len;
                got = cell(&c, &cell_col[n_cells], &cell_type[n_cells], &cell_style[n_cells], &cell_flags[n_cells],
                           &text, &text_len);
                if (got != 1) break;
                got = 0;
                cell_row[n_cells] = number;
                cell_flags[n_cells] = settle(cell_type[n_cells], cell_flags[n_cells], text, text_len);
                if (text_len) memcpy(data + at, text, text_len);
                at += (int64_t)text_len;
                offsets[++n_cells] = at;
            }
        }
        if (got != 0) {  /* the row is cut short by the block's end, or not ours: give it back */
            n_cells = cells_before; at = at_before;
            consumed = row_start - buf;
            status = got == -1 ? MORE : NOT_MINE;
            break;
        }
        if (number <= last_row) {
            n_cells = cells_before;
            consumed = row_start - buf;
            status = OUT_OF_ORDER;
            state[4] = number;
            break;
        }
        last_row = number;
        rows[n_rows++] = number;
    }
    state[0] = consumed; state[1] = n_rows; state[2] = n_cells; state[3] = status;
    if (status != OUT_OF_ORDER) state[4] = last_row;
}

/* The Arrow C data interface (arrow.apache.org/docs/format/CDataInterface.html): how polars takes a column of
 * strings made here without a copy through Python objects, and without pyarrow. */
struct ArrowSchema {
    const char *format, *name, *metadata;
    int64_t flags, n_children;
    struct ArrowSchema **children, *dictionary;
    void (*release)(struct ArrowSchema *);
    void *private_data;
};
struct ArrowArray {
    int64_t length, null_count, offset, n_buffers, n_children;
    const void **buffers;
    struct ArrowArray **children, *dictionary;
    void (*release)(struct ArrowArray *);
    void *private_data;
};
typedef struct {
    void *owned[3];
    const void *buffers[3];
} Texts;

static void release_texts(struct ArrowArray *array) {
    Texts *texts = array->private_data;
    for (int i = 0; i < 3; i++) free(texts->owned[i]);
    free(texts);
    array->release = NULL;
}

static void release_schema(struct ArrowSchema *schema) { schema->release = NULL; }

/* The cells' texts of one scan as an Arrow column of large strings (null: no value, or a formula without its
 * value), copied out of the scan's buffers, which the next block reuses; freed when polars releases it.
 * 0, or -1 when memory ran out. */
EXPORT int sheet_texts(int64_t n, const int64_t *offsets, const uint8_t *data, const uint8_t *flags,
                       struct ArrowArray *array, struct ArrowSchema *schema) {
    Texts *texts = calloc(1, sizeof(Texts));
    if (!texts) return -1;
    size_t bytes = (size_t)offsets[n];
    texts->owned[0] = calloc((size_t)(n + 7) / 8 + 1, 1);
    texts->owned[1] = malloc(sizeof(int64_t) * (size_t)(n + 1));
    texts->owned[2] = malloc(bytes ? bytes : 1);
    if (!texts->owned[0] || !texts->owned[1] || !texts->owned[2]) {
        for (int i = 0; i < 3; i++) free(texts->owned[i]);
        free(texts);
        return -1;
    }
    uint8_t *valid = texts->owned[0];
    int64_t nulls = 0;
    for (int64_t i = 0; i < n; i++) {
        if ((flags[i] & F_TEXT) && !(flags[i] & F_UNVALUED)) valid[i >> 3] |= (uint8_t)(1u << (i & 7));
        else nulls++;
    }
    memcpy(texts->owned[1], offsets, sizeof(int64_t) * (size_t)(n + 1));
    if (bytes) memcpy(texts->owned[2], data, bytes);
    for (int i = 0; i < 3; i++) texts->buffers[i] = texts->owned[i];
    *array = (struct ArrowArray){n, nulls, 0, 3, 0, texts->buffers, NULL, NULL, release_texts, texts};
    *schema = (struct ArrowSchema){"U", "text", NULL, 2, 0, NULL, NULL, release_schema, NULL};
    return 0;
}

static struct PyModuleDef sheetxml_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_sheetxml",
    .m_doc = "The cells of a worksheet's XML; loaded with ctypes by guangxi_subsidy.engine.intake.sheetcells.",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__sheetxml(void) { return PyModule_Create(&sheetxml_module); }
