"""YAML reading that keeps numbers exact, refuses duplicate keys, and cannot be made to exhaust memory.

PyYAML turns `1234.56` into a float and silently keeps the last of two equal keys; both lose information a
rule author or an accountant wrote down, so this loader reads decimals as Decimal and rejects duplicates.

Hostile files are refused before anything is built from them: a document larger than MAX_BYTES, nested
deeper than MAX_DEPTH, or whose aliases would expand it past MAX_NODES (a "billion laughs" of a few hundred
bytes), or that refers to itself. The node graph is composed first (aliases are shared nodes there, so it is
as small as the text) and measured without recursion; only then are Python values constructed. Scalars that
cannot be values are kept as their text, so the model that reads them names the field: an integer of more
digits than Python converts, an impossible date (`2017-02-30`); `.nan` and `.inf` become Decimal NaN and
infinity, which every reader of numbers refuses.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from guangxi_subsidy.engine.textfiles import TextDecodeError as TextDecodeError  # (re-exported: read with YAML)
from guangxi_subsidy.engine.textfiles import decode_text as decode_text

# libyaml's parser when PyYAML was built with it (several times faster on the rule pack); the constructors,
# which decide what values become, are the same Python code either way.
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_BYTES = 16 << 20  # a profile or rule file larger than this is not one
MAX_DEPTH = 100  # nested mappings and lists
MAX_NODES = 1_000_000  # values in the document once every alias is expanded
MAX_INT_DIGITS = 4000  # Python converts at most 4,300 digits to an int


class YamlLimitError(yaml.YAMLError):
    """A document refused for its size, depth or expansion, before it is built."""


class ExactLoader(_SafeBase):  # type: ignore[valid-type,misc]
    """SafeLoader with Decimal floats and duplicate-key detection; line numbers are kept for error messages."""


def _decimal(loader: ExactLoader, node: yaml.ScalarNode) -> Decimal | str:
    text = str(loader.construct_scalar(node)).replace("_", "")
    special = {".nan": "NaN", ".inf": "Infinity", "+.inf": "Infinity", "-.inf": "-Infinity"}
    try:
        return Decimal(special.get(text.lower(), text))
    except InvalidOperation:
        return text


def _integer(loader: ExactLoader, node: yaml.ScalarNode) -> int | str:
    text = str(loader.construct_scalar(node))
    if len(text) > MAX_INT_DIGITS:
        return text
    try:
        return int(yaml.constructor.SafeConstructor.construct_yaml_int(loader, node))
    except ValueError:
        return text


def _timestamp(loader: ExactLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return str(loader.construct_scalar(node))


def _mapping(loader: ExactLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain value, not a list or a mapping", key_node.start_mark
            ) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {seen[key] + 1})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line
    loader.flatten_mapping(node)
    return dict(loader.construct_pairs(node, deep=deep))


ExactLoader.add_constructor("tag:yaml.org,2002:float", _decimal)
ExactLoader.add_constructor("tag:yaml.org,2002:int", _integer)
ExactLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
ExactLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _measure(root: yaml.Node) -> None:
    """Refuse a node graph deeper than MAX_DEPTH, expanding past MAX_NODES, or holding a cycle."""
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if isinstance(node, yaml.ScalarNode):
            size[key] = 1
            continue
        kids = [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else list(node.value)
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            if size[key] > MAX_NODES:
                raise YamlLimitError(f"aliases expand the document past {MAX_NODES:,} values (an alias bomb?)")
            continue
        if key in size:
            continue
        if key in on_path:
            raise YamlLimitError("an alias refers to the mapping or list that holds it")
        if depth > MAX_DEPTH:
            raise YamlLimitError(f"values nest more than {MAX_DEPTH} levels deep (line {node.start_mark.line + 1})")
        on_path.add(key)
        stack.append((node, depth, True))
        stack.extend((k, depth + 1, False) for k in kids if id(k) not in size)


def load_yaml(text: str) -> Any:
    if len(text) > MAX_BYTES:
        raise YamlLimitError(f"the document is larger than {MAX_BYTES >> 20} MB")
    loader = ExactLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _measure(node)
        return loader.construct_document(node)
    except RecursionError:
        raise YamlLimitError(f"values nest more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()


def _text_only(value: str, what: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:  # a lone surrogate, as JSON's "\udcff" escape writes one
        raise YamlLimitError(f"{what}: a string holds {value[error.start]!a}, which is not a character") from None


def measure(data: Any, what: str = "the document") -> None:
    """Refuse already-built data nested deeper than MAX_DEPTH, holding more than MAX_NODES values, or strings
    that are not text (lone surrogates, which no output can write)."""
    stack, seen = [(data, 1)], 0
    while stack:
        value, depth = stack.pop()
        seen += 1
        if depth > MAX_DEPTH:
            raise YamlLimitError(f"{what}: values nest more than {MAX_DEPTH} levels deep")
        if seen > MAX_NODES:
            raise YamlLimitError(f"{what}: more than {MAX_NODES:,} values")
        if isinstance(value, str):
            _text_only(value, what)
        elif isinstance(value, dict):
            for key in value:
                if isinstance(key, str):
                    _text_only(key, what)
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
