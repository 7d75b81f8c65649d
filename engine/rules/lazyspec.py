"""`LazySpec`: a built pack's objects keep the rule file's models (pydantic) pickled apart, read when first asked.

A compiled rule holds the rule as its file writes it (`spec`: `format.Rule`, with its sources, readings, how to
apply), for the answers that quote it (`--explain`, the JSON document, reports, `subsidy rules`). Unpickling such
a model imports its class, and so pydantic: about a third of a `subsidy evaluate`'s instructions, for a table that
reads none of it. So a record that mixes this in pickles each field named in its `lazy` as bytes of their own
(one `pickle.dumps` each) and, read back, unpickles them only when the attribute is first read, then keeps the
value. What an evaluation and its table read is copied into plain fields when the pack is built (`compiled.py`).

Reading a field is the same either way: `rule.spec` is the model, `dataclasses.replace`, equality, `repr` and
pickling again see it (and unpickle it first). Only reading it costs pydantic's import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

PICKLED = "_pickled_"  # the key a field's bytes are kept under in an object read back, until the field is read


class LazySpec:
    """Mix into a record whose fields named in `lazy` hold the rule file's models."""

    lazy: ClassVar[tuple[str, ...]] = ("spec",)

    def __getstate__(self) -> dict[str, Any]:
        import pickle

        state = dict(self.__dict__)
        for name in self.lazy:
            if name in state:
                state[PICKLED + name] = pickle.dumps(state.pop(name), protocol=pickle.HIGHEST_PROTOCOL)
        return state

    if not TYPE_CHECKING:  # (for a type checker the fields are plain attributes)

        def __getattr__(self, name: str) -> Any:
            """A lazy field of an object read back: unpickled now, kept for the next read (only called when the
            object's own dict lacks `name`). Two threads reading it at once both unpickle it, to equal values."""
            found = self.__dict__
            data = found.get(PICKLED + name)
            if data is None:
                if name in found:  # (another thread has just read it)
                    return found[name]
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            import pickle

            value = found[name] = pickle.loads(data)
            found.pop(PICKLED + name, None)
            return value
