/* The table of applicants seen (engine/intake/seen.py): each row's first row with the same key.
 */
#include "kernels.h"

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
