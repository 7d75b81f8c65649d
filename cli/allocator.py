"""Memory freed by polars returned to the system promptly, so a long batch holds one batch's memory at a time.

polars allocates with jemalloc, which by default keeps freed pages for ten seconds and gives each thread an
arena of its own; a batch run, whose reader and writer threads free a block's memory every fraction of a second,
would then hold the peaks of every stage at once. One arena and a short decay (purged by a background thread)
keep the peak near the memory actually in use, at no cost in speed. jemalloc reads the setting once, when polars
is first imported: `cli/main.py` imports this module before anything else of ours, and an explicit setting in
the environment wins.
"""

import os

os.environ.setdefault("_RJEM_MALLOC_CONF", "narenas:1,background_thread:true,dirty_decay_ms:300,muzzy_decay_ms:0")
