"""pydantic's plugin search, off in the `subsidy` program unless the user has set PYDANTIC_DISABLE_PLUGINS
(cli/plugins.py): what the entry point puts in place answers as pydantic's own loader does for `__all__`, and a
user's own setting leaves pydantic's loader to decide. (That a whole evaluation then never imports
`importlib.metadata` is held by tests/test_startup.py.)"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator

import pytest
from pydantic import BaseModel, ValidationError

from guangxi_subsidy.cli import plugins


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No setting and no loader yet, as at the program's start; the test process's own restored after."""
    monkeypatch.delenv(plugins.VARIABLE, raising=False)
    saved = sys.modules.pop(plugins.LOADER, None)
    try:
        yield
    finally:
        sys.modules.pop(plugins.LOADER, None)
        if saved is not None:
            sys.modules[plugins.LOADER] = saved


def test_unset_the_plugins_are_off_as_pydantic_itself_turns_them_off(fresh: None) -> None:
    plugins.disable()
    assert os.environ[plugins.VARIABLE] == "__all__"  # (a worker process the program starts reads it too)
    ours = tuple(sys.modules[plugins.LOADER].get_plugins())
    del sys.modules[plugins.LOADER]
    pydantics = importlib.import_module(plugins.LOADER)  # pydantic's own loader, with the same setting
    assert ours == tuple(pydantics.get_plugins()) == ()


def test_models_built_after_it_validate_and_refuse_as_before(fresh: None) -> None:
    plugins.disable()

    class Sample(BaseModel):
        count: int

    assert Sample.model_validate({"count": "3"}).count == 3
    with pytest.raises(ValidationError, match="count"):
        Sample.model_validate({"count": "three"})


@pytest.mark.parametrize("chosen", ["", "logfire", "logfire,other"])
def test_a_users_own_setting_leaves_pydantics_loader_to_decide(fresh: None, monkeypatch: pytest.MonkeyPatch,
                                                                chosen: str) -> None:
    monkeypatch.setenv(plugins.VARIABLE, chosen)
    plugins.disable()
    assert os.environ[plugins.VARIABLE] == chosen
    assert plugins.LOADER not in sys.modules  # (pydantic imports its own loader when it first builds a model)


def test_a_loader_pydantic_has_already_imported_is_kept(fresh: None) -> None:
    pydantics = importlib.import_module(plugins.LOADER)
    plugins.disable()
    assert sys.modules[plugins.LOADER] is pydantics
