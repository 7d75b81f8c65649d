/* What the compiled passes of the batch path share (engine/_kernels.c lists them): the headers, the sixteen-byte
 * compares where the machine has them, and the numbers engine/native.py checks against the Python modules' own.
 *
 * Two-dimensional arrays are C-ordered: element (i, j) of an array with `stride` columns is at i * stride + j.
 * Every index stays within the sizes the callers pass: the callers' tests (tests/test_scan.py,
 * tests/test_widecsv.py, tests/test_repeats.py) check the output against the frame paths on generated input.
 */
#ifndef KERNELS_H
#define KERNELS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h> /* baseline on x86_64: sixteen bytes compared at once; elsewhere the byte loops */
#define SIXTEEN 1
#endif

#define EXPORT __attribute__((visibility("default")))

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

#endif
