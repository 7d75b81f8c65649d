"""`record`: a dataclass whose methods are made without compiling any source, for the classes read at start-up.

`dataclasses.dataclass` writes the source of each class's `__init__`, `__repr__`, `__eq__`, `__hash__`,
`__setattr__` and `__delattr__` and compiles it with `exec`, one call a method: some 3.4 million instructions a
class, about a tenth of `subsidy evaluate`'s start-up for the thirty-odd classes of the rule pack, the expression
language and the evaluation. `record` asks `dataclasses` for its fields alone (`init`, `repr` and `eq` off: no
source compiled), then sets methods that behave as the generated ones do: the same `__init__` signature, defaults
and default factories, `__post_init__` called; the same `repr` (fields with `repr=False` left out); equality of the
same class on the fields with `compare=True`; `hash` of the same tuple when frozen, none when mutable; a frozen
record refuses assignment and deletion with `dataclasses.FrozenInstanceError`. `dataclasses.fields`, `replace`,
`asdict` and pickling work as on any dataclass. A method the class defines itself is kept, as `dataclass` keeps it.
The price is a slower `__init__` (arguments matched by a loop, not by the interpreter: some 2.5 times a compiled
one), paid where a record is made: the objects of a rule pack once. The classes made once a rule at each
evaluation (a check, an award, an outcome) say `made_often` and keep the compiled `__init__`.
"""

from __future__ import annotations

import dataclasses
import operator
import reprlib
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T")
_MISSING = dataclasses.MISSING


@overload
def record(cls: type[T], /) -> type[T]: ...
@overload
def record(*, frozen: bool = ..., eq: bool = ..., made_often: bool = ...) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: type[T] | None = None, /, *, frozen: bool = True, eq: bool = True, made_often: bool = False) -> Any:
    """`@record` is `@dataclass(frozen=True)`; `@record(frozen=False)` is `@dataclass`; `eq=False` as there.
    `made_often`: a class made many times a run (an evaluation's outcomes) takes `dataclass`'s own `__init__`,
    `__setattr__` and `__delattr__` (compiled: half the cost of a dataclass at import, none at each call)."""

    def wrap(cls: type[T]) -> type[T]:
        return _make(cls, frozen=frozen, eq=eq, made_often=made_often)

    return wrap if cls is None else wrap(cls)


def _make(cls: type[T], *, frozen: bool, eq: bool, made_often: bool) -> type[T]:
    doc = cls.__dict__.get("__doc__")
    cls.__doc__ = doc or cls.__name__  # (else `dataclass` computes an `inspect.signature` for it)
    cls = dataclasses.dataclass(init=made_often, repr=False, eq=False, frozen=frozen and made_often)(cls)
    cls.__doc__ = doc
    every = dataclasses.fields(cls)  # type: ignore[arg-type]
    own = cls.__dict__
    methods: dict[str, Any] = {}
    if "__init__" not in own:
        methods["__init__"] = _init(cls, every)
    if "__repr__" not in own:
        methods["__repr__"] = _repr(tuple(f.name for f in every if f.repr))
    if eq and "__eq__" not in own:
        compared = tuple(f.name for f in every if f.compare)
        methods["__eq__"] = _eq(compared)
        if "__hash__" not in own or own["__hash__"] is None:
            methods["__hash__"] = _hash(compared) if frozen else None
    if frozen and not made_often:
        names = frozenset(f.name for f in every)
        methods["__setattr__"] = _setattr(cls, names)
        methods["__delattr__"] = _delattr(cls, names)
    for name, method in methods.items():
        setattr(cls, name, method)
    return cls


def _init(cls: type, every: tuple[dataclasses.Field[Any], ...]) -> Callable[..., None]:
    names = tuple(f.name for f in every if f.init)
    defaults = {f.name: f.default for f in every if f.default is not _MISSING}
    factories = {f.name: f.default_factory for f in every if f.default_factory is not _MISSING}
    later = tuple(f.name for f in every if not f.init and (f.name in defaults or f.name in factories))
    order = tuple(f.name for f in every if f.init or f.name in later)
    post_init = hasattr(cls, "__post_init__")
    qualname = f"{cls.__qualname__}.__init__"

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(names):
            raise TypeError(f"{qualname}() takes {len(names) + 1} positional arguments but {len(args) + 1} were given")
        values = dict(zip(names, args, strict=False))
        for name, value in kwargs.items():
            if name not in names:
                raise TypeError(f"{qualname}() got an unexpected keyword argument {name!r}")
            if name in values:
                raise TypeError(f"{qualname}() got multiple values for argument {name!r}")
            values[name] = value
        if len(values) < len(names) or later:
            for name in names[len(args):] + later:
                if name in values and name not in later:
                    continue
                if name in defaults:
                    values[name] = defaults[name]
                elif name in factories:
                    values[name] = factories[name]()
                else:
                    raise TypeError(f"{qualname}() missing 1 required positional argument: {name!r}")
        self.__dict__.update({name: values[name] for name in order})
        if post_init:
            self.__post_init__()

    __init__.__qualname__ = qualname
    return __init__


def _repr(shown: tuple[str, ...]) -> Callable[[Any], str]:
    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{self.__class__.__qualname__}({inner})"

    return __repr__


def _key(compared: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The tuple of the compared fields, read at C speed (`attrgetter` of one name gives the value alone)."""
    if len(compared) == 1:
        one = operator.attrgetter(compared[0])
        return lambda self: (one(self),)
    if not compared:
        return lambda self: ()
    return operator.attrgetter(*compared)


def _eq(compared: tuple[str, ...]) -> Callable[[Any, Any], Any]:
    key = _key(compared)

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    return __eq__


def _hash(compared: tuple[str, ...]) -> Callable[[Any], int]:
    key = _key(compared)

    def __hash__(self: Any) -> int:
        return hash(key(self))

    return __hash__


def _setattr(cls: Any, names: frozenset[str]) -> Callable[[Any, str, Any], None]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    return __setattr__


def _delattr(cls: Any, names: frozenset[str]) -> Callable[[Any, str], None]:
    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __delattr__
