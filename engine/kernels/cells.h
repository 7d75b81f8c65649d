/* One cell of a CSV line read as its column's kind says (engine/intake/cells.py and frames.py say the same in
 * Python): text checked, decimals, money, shares, dates, and the hash a choice is looked up by. Inline helpers of
 * the reader's pass (scan.c), which calls them once a cell.
 */
#ifndef KERNELS_CELLS_H
#define KERNELS_CELLS_H

#include "kernels.h"

/* White space as the profile model strips it (cells.WHITESPACE). */
static inline int is_space(int64_t point) {
    if (point <= 0x20) return point == 0x20 || (0x09 <= point && point <= 0x0D);
    if (point < 0x85) return 0;
    return point == 0x85 || point == 0xA0 || point == 0x1680 || (0x2000 <= point && point <= 0x200A) ||
           point == 0x2028 || point == 0x2029 || point == 0x202F || point == 0x205F || point == 0x3000;
}

/* The character whose first byte is p[0], of valid UTF-8. */
static inline int64_t point_at(const uint8_t *p) {
    uint8_t b = p[0];
    if (b < 0x80) return b;
    if (b < 0xE0) return ((int64_t)(b & 0x1F) << 6) | (p[1] & 0x3F);
    if (b < 0xF0) return ((int64_t)(b & 0x0F) << 12) | ((int64_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    return ((int64_t)(b & 0x07) << 18) | ((int64_t)(p[1] & 0x3F) << 12) | ((int64_t)(p[2] & 0x3F) << 6) |
           (p[3] & 0x3F);
}

/* A text cell stage one keeps as it is: valid UTF-8, at most `limit` characters (if not 0), no white space at
 * either end. The bytes are checked first, character by character (only the ends decoded), from the first that is
 * not ASCII. */
static inline int text_ok(const uint8_t *buf, int64_t start, int64_t end, int64_t limit) {
    int64_t at = start;
    while (at + 8 <= end) { /* ASCII (an id, a code) eight bytes at a time: a character a byte, spaces known */
        uint64_t word;
        memcpy(&word, buf + at, 8);
        if (word & UINT64_C(0x8080808080808080)) break;
        at += 8;
    }
    while (at < end && buf[at] < 0x80) at += 1;
    if (at == end)
        return end == start || (!is_space(buf[start]) && !is_space(buf[end - 1]) && (limit == 0 || end - start <= limit));
    int64_t chars = at - start;
    while (at < end) {
        uint8_t b = buf[at];
        chars += 1;
        if (b < 0x80) {
            at += 1;
            continue;
        }
        if (0xE1 <= b && b <= 0xEF && b != 0xED) { /* most Chinese characters: any two continuation bytes */
            if (at + 3 > end || (buf[at + 1] & 0xC0) != 0x80 || (buf[at + 2] & 0xC0) != 0x80) return 0;
            at += 3;
            continue;
        }
        int64_t size, low = 0x80, high = 0xBF;
        if (0xC2 <= b && b <= 0xDF) {
            size = 2;
        } else if (b == 0xE0 || b == 0xED) {
            size = 3;
            low = b == 0xE0 ? 0xA0 : 0x80;
            high = b == 0xED ? 0x9F : 0xBF;
        } else if (0xF0 <= b && b <= 0xF4) {
            size = 4;
            low = b == 0xF0 ? 0x90 : 0x80;
            high = b == 0xF4 ? 0x8F : 0xBF;
        } else {
            return 0;
        }
        if (at + size > end || buf[at + 1] < low || buf[at + 1] > high) return 0;
        for (int64_t k = 2; k < size; k++)
            if (buf[at + k] < 0x80 || buf[at + k] > 0xBF) return 0;
        at += size;
    }
    int64_t last = end - 1; /* the last character's first byte (the bytes are valid UTF-8 by now) */
    while ((buf[last] & 0xC0) == 0x80) last -= 1;
    return !is_space(point_at(buf + start)) && !is_space(point_at(buf + last)) && (limit == 0 || chars <= limit);
}

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
    static const uint64_t low_bytes[9] = {0, 0xFF, 0xFFFF, 0xFFFFFF, 0xFFFFFFFF, UINT64_C(0xFFFFFFFFFF),
                                          UINT64_C(0xFFFFFFFFFFFF), UINT64_C(0xFFFFFFFFFFFFFF), UINT64_MAX};
    if (whole) {
        memcpy(&word, p, 8);
        return word & low_bytes[count >= 8 ? 8 : count];
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

#endif
