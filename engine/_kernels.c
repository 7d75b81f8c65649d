/* The batch path's passes over bytes, in C, as one extension module of several files by job (engine/kernels/):
 * reading the clean lines of a CSV block into typed columns (scan.c, each cell read by cells.h, cells split by
 * split.h; a block's line feeds and quotes checked first by lines.c; engine/intake/scan.py), writing the wide CSV
 * lines of a batch (write.c; engine/batch/widecsv.py), the summary's counts and sums (tally.c;
 * engine/batch/summary.py), and the table of applicants seen (seen.c; engine/intake/seen.py). Each Python module
 * says what its pass must do and holds the rest; these functions take plain arrays (numpy's, by address, through
 * ctypes, which lets other threads run meanwhile) and allocate nothing but a few words a column (the reader) or
 * a group (the summary). Built as an extension module by `pip install` (setup.py); engine/native.py loads it.
 * This file holds the module and the numbers the parts share (kernels/kernels.h).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "kernels/kernels.h"

/* The numbers kernels/kernels.h names, for engine/native.py to check against the Python modules' own. */
EXPORT void kernels_layout(int64_t *out) {
    int64_t values[] = {TEXT_ID, TEXT_NAME, MONEY, RATIO, INTEGER, SPELLED, DATE, INTS, DAYS, BITS, CODES, TEXTS,
                        FIGURE, RANGE, UP_TO, NON_MONETARY, ID_LIMIT, CELL_ROOM, LINE_ROOM};
    for (size_t k = 0; k < sizeof(values) / sizeof(values[0]); k++) out[k] = values[k];
}

/* ------------------------------------------------------------------------------------------------ module */

static struct PyModuleDef kernels_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_kernels",
    .m_doc = "Compiled passes of the batch path; loaded with ctypes by guangxi_subsidy.engine.native.",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&kernels_module); }
