"""Makes durable_rules' C extension load on Python 3.13 and later; imported by rete.py before durable_rules.

durable_rules 2.0.28 calls `PyEval_CallObject`, a name Python 3.13 removed, so its extension fails to load with
"undefined symbol". The package's own `_durable_compat` extension (engine/_durable_compat.c, built by setup.py
only on 3.13+) defines the function; loading it with RTLD_GLOBAL puts the symbol where the dynamic loader looks
when durable_rules' extension is loaded next. On 3.11 and 3.12 this does nothing.
"""

from __future__ import annotations

import os
import sys

NEEDED = sys.version_info >= (3, 13)

if NEEDED:
    _flags = sys.getdlopenflags()
    sys.setdlopenflags(_flags | os.RTLD_GLOBAL)
    try:
        from guangxi_subsidy.engine import _durable_compat  # type: ignore[attr-defined]  # noqa: F401
    finally:
        sys.setdlopenflags(_flags)
