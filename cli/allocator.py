"""Memory freed by polars returned to the system promptly, so a long batch holds one batch's memory at a time.

polars allocates with jemalloc, which by default keeps freed pages for ten seconds and gives each thread an
arena of its own; a batch run, whose reader and writer threads free a block's memory every fraction of a second,
would then hold the peaks of every stage at once. One arena and a short decay (purged by a background thread)
keep the peak near the memory actually in use, at no cost in speed. jemalloc reads the setting once, when polars
is first imported: `cli/main.py` imports this module before anything else of ours.

The setting is the `_RJEM_MALLOC_CONF` variable, whose options are read left to right, a later one winning.
`import polars` writes its own defaults into it, so a program that imported polars and then runs `subsidy` hands
those down: they are not a choice made for this run and are dropped. Any other option found there was set on
purpose, and is kept after ours, so that it wins.

numpy's BLAS library is held to one thread the same way (the variable is read when numpy loads): nothing here
multiplies matrices, and its threads would only compete with the run's own for the cores.

The C library's allocator, which serves Python and numpy (the compiled reader's arrays), raises the size from
which a block gets pages of its own to the largest block freed so far; after the first few reader blocks, every
array of a few megabytes then comes from heaps that keep the memory once freed, one heap per thread that used
them. `large_blocks_returned` fixes that size, so such arrays go back to the system when freed: about 17 MB less
at the peak of 100,000 rows written to a workbook, for some more system time in page faults (a few hundredths of
a second a run), which a run writing CSV, whose peak it leaves as it is, does not pay.
"""

import os
from collections.abc import MutableMapping

VARIABLE = "_RJEM_MALLOC_CONF"
OURS = ("narenas:1", "background_thread:true", "dirty_decay_ms:300", "muzzy_decay_ms:0")
POLARS_DEFAULTS = ("dirty_decay_ms:500", "muzzy_decay_ms:1000")  # what polars/__init__.py writes first


def configure(environ: MutableMapping[str, str]) -> str:
    """Our options, then any explicit ones already in `environ`; returns the value set."""
    given = [option for option in environ.get(VARIABLE, "").split(",") if option]
    explicit = [option for option in given if option not in POLARS_DEFAULTS and option not in OURS]
    environ[VARIABLE] = ",".join([*OURS, *explicit])
    return environ[VARIABLE]


M_MMAP_THRESHOLD = -3  # mallopt's parameter (malloc.h)
OWN_PAGES_FROM = 256 * 1024  # bytes: a block this large or larger is mapped on its own, and unmapped when freed


def large_blocks_returned() -> bool:
    """Blocks of OWN_PAGES_FROM bytes and more mapped on their own, whatever was freed before (glibc's mallopt;
    called by a batch run that writes a workbook, whose reader frees arrays of megabytes per block); whether the
    setting was taken."""
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt  # (the C library already loaded, by its symbol)
    except (OSError, AttributeError):  # another C library, or none by that name
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, OWN_PAGES_FROM))


configure(os.environ)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
