"""How many examples a property test with its own budget runs: its stated number, or a quarter of it on the
second run of the suite (HYPOTHESIS_PROFILE=quick, `make unit313`), as the profile does for the others."""

from __future__ import annotations

import os

QUICK = os.environ.get("HYPOTHESIS_PROFILE") == "quick"


def examples(stated: int) -> int:
    return max(4, stated // 4) if QUICK else stated
