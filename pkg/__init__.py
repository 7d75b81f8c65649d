"""Policy as code for the innovation and entrepreneurship subsidies of Guangxi.

The library API (`guangxi_subsidy.api`, see the README, "From Python"): `load_pack`, `evaluate`,
`evaluate_frame`, `summarise`, and `evaluate_dataset` for a partitioned Parquet dataset on a Dask cluster. They
are imported on first use, so `import guangxi_subsidy` itself loads nothing else.
"""

from __future__ import annotations

# No import at all here, not even `typing`: this module runs before the `subsidy` program can catch a Ctrl-C
# (cli/launch.py), so the less it does, the shorter that moment. `TYPE_CHECKING` is spelt out for that reason;
# type checkers take the name as theirs.
TYPE_CHECKING = False

__version__ = "0.1.0"

_API = ("ArgumentError", "BatchOutcome", "Profile", "RulePack", "evaluate", "evaluate_frame", "load_pack", "summarise")
__all__ = ["ArgumentError", "BatchOutcome", "Profile", "RulePack", "evaluate", "evaluate_dataset", "evaluate_frame",
           "load_pack", "summarise"]

if TYPE_CHECKING:
    from guangxi_subsidy.api import (
        ArgumentError,
        BatchOutcome,
        Profile,
        RulePack,
        evaluate,
        evaluate_frame,
        load_pack,
        summarise,
    )
    from guangxi_subsidy.engine.batch.cluster import evaluate_dataset


def __getattr__(name: str) -> object:
    if name in _API:
        from guangxi_subsidy import api

        return getattr(api, name)
    if name == "evaluate_dataset":
        from guangxi_subsidy.engine.batch.cluster import evaluate_dataset

        return evaluate_dataset
    raise AttributeError(f"module 'guangxi_subsidy' has no attribute {name!r}")
