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


configure(os.environ)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
