"""One name for each department across documents: the table in rules/departments.yaml.

Documents of different years name the same department differently (自治区工业和信息化委 became 自治区工业和信息化厅
in the 2018 reorganisation), and a city's document names its own departments without the city (市人社局 in a
Nanning document is 南宁市人社局). Rules keep their document's wording; totals and summaries use `canonical`,
so that one department is one line.
"""

from __future__ import annotations

import functools
from pathlib import Path

from guangxi_subsidy.engine.rules.pack import DEFAULT_RULES
from guangxi_subsidy.engine.yamlio import load_yaml

TABLE = DEFAULT_RULES / "departments.yaml"


@functools.cache
def _table(path: Path = TABLE) -> tuple[dict[str, str], dict[str, str]]:
    data = load_yaml(path.read_text(encoding="utf-8")) or {}
    return dict(data.get("renamed") or {}), dict(data.get("city_prefix") or {})


def canonical(name: str, jurisdiction: str) -> str:
    """The department's one name: renamed ones by their present name, a city's own ones with the city."""
    renamed, prefixes = _table()
    name = renamed.get(name, name)
    prefix = prefixes.get(jurisdiction)
    if prefix and name.startswith("市"):
        name = prefix + name
    return name
