"""pydantic's plugins, off in the `subsidy` program unless the user says otherwise.

pydantic looks for plugins when it builds its first validator: its loader imports `importlib.metadata` (and with
it `email`, `zipfile`, `csv` ...) and reads the entry points of every installed distribution, about a tenth of
`subsidy evaluate`'s start-up, for plugins this program never uses. So the entry point (`cli/launch.py`) turns
them off, as pydantic's own setting `PYDANTIC_DISABLE_PLUGINS=__all__` does, and only when the user has not set
that variable: `PYDANTIC_DISABLE_PLUGINS=` (empty) keeps every installed plugin, and any other value is
pydantic's to read. The setting is put in the environment too, so a worker process the program starts behaves
alike. A program that runs the commands in its own process (the tests) keeps pydantic as it was.
"""

from __future__ import annotations

import os
import sys

VARIABLE = "PYDANTIC_DISABLE_PLUGINS"
LOADER = "pydantic.plugin._loader"  # the module whose import and search are skipped
OFF = ("__all__", "1", "true")  # the values for which pydantic's loader finds no plugin at all


def disable() -> None:
    """Turn pydantic's plugins off in this process and its children, unless the user has chosen."""
    chosen = os.environ.setdefault(VARIABLE, "__all__")
    if chosen not in OFF or LOADER in sys.modules:
        return  # the user wants plugins, or pydantic already looked: pydantic's own loader decides
    loader = type(sys)(LOADER)
    loader.__doc__ = f"No pydantic plugins ({VARIABLE}={chosen}: guangxi_subsidy.cli.plugins)."
    loader.get_plugins = _none  # type: ignore[attr-defined]  # (what pydantic's loader answers for `__all__`)
    sys.modules[LOADER] = loader


def _none() -> tuple[()]:
    return ()
