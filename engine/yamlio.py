"""YAML reading that keeps numbers exact and refuses duplicate keys.

PyYAML turns `1234.56` into a float and silently keeps the last of two equal keys; both lose information a
rule author or an accountant wrote down, so this loader reads decimals as Decimal and rejects duplicates.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import yaml

# libyaml's parser when PyYAML was built with it (several times faster on the rule pack); the constructors,
# which decide what values become, are the same Python code either way.
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ExactLoader(_SafeBase):  # type: ignore[valid-type,misc]
    """SafeLoader with Decimal floats and duplicate-key detection; line numbers are kept for error messages."""


def _decimal(loader: ExactLoader, node: yaml.ScalarNode) -> Decimal:
    text = str(loader.construct_scalar(node)).replace("_", "")
    return Decimal(text)


def _mapping(loader: ExactLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {seen[key] + 1})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line
    loader.flatten_mapping(node)
    return dict(loader.construct_pairs(node, deep=deep))


ExactLoader.add_constructor("tag:yaml.org,2002:float", _decimal)
ExactLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=ExactLoader)  # noqa: S506 - ExactLoader derives from SafeLoader
