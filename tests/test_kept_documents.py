"""A bundled profile's parsed YAML kept between runs of the `subsidy` program (engine/keptdocs.py), and a user's
never (it may be about a person): read back, it is the same profile, not parsed again (the program's second
evaluation of an example imports no PyYAML: tests/test_startup.py); a changed file is a new key; a bad file is
never kept and is refused the same way every time; a damaged or foreign kept file is never used."""

from __future__ import annotations

from pathlib import Path

import pytest

from guangxi_subsidy.engine import keptdocs
from guangxi_subsidy.engine.applicant.reading import ProfileError, load_profile

PROFILE = "id: a1\nkind: incubation_base\ncity: 南宁市\n月销售额: 1234.56\nas_of: 2017-03-01\n"


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The cache switched on, in a folder of the test's own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("SUBSIDY_CACHE_DIR", str(folder))
    monkeypatch.setattr(keptdocs, "_enabled", True)
    monkeypatch.setattr(keptdocs, "OWN", tmp_path / "own")  # (the files of this folder are kept, as if bundled)
    (tmp_path / "own").mkdir()
    return folder


def test_a_users_own_profile_is_never_kept(cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "someone.yaml"  # (outside the package's own documents: may be about a person)
    path.write_text(PROFILE, encoding="utf-8")
    assert load_profile(path).id == "a1"
    assert not cache.exists() or list(cache.glob("doc-*.pickle")) == []


def test_a_kept_profile_reads_back_as_the_same_profile_without_parsing(cache: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "own" / "firm.yaml"
    path.write_text(PROFILE, encoding="utf-8")
    first = load_profile(path)
    (kept,) = cache.glob("doc-*.pickle")
    assert oct(kept.stat().st_mode & 0o777) in ("0o600", "0o644")
    from guangxi_subsidy.engine import yamlio

    monkeypatch.setattr(yamlio, "load_yaml", lambda text: pytest.fail("parsed again"))
    again = load_profile(path)
    assert again == first and str(again.monthly_sales) == "1234.56" and again.city == "nanning"


def test_a_changed_file_is_a_new_key_and_a_bad_one_is_never_kept(cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "own" / "firm.yaml"
    path.write_text(PROFILE, encoding="utf-8")
    load_profile(path)
    path.write_text(PROFILE.replace("1234.56", "99"), encoding="utf-8")
    assert load_profile(path).monthly_sales == 99
    assert len(list(cache.glob("doc-*.pickle"))) == 2
    path.write_text("id: a1\nkind: [unclosed\n", encoding="utf-8")
    messages = []
    for _ in range(2):
        with pytest.raises(ProfileError) as refused:
            load_profile(path)
        messages.append(str(refused.value))
    assert messages[0] == messages[1] and "valid YAML or JSON" in messages[0]
    assert len(list(cache.glob("doc-*.pickle"))) == 2


def test_a_damaged_or_foreign_kept_document_is_never_used(cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "own" / "firm.yaml"
    path.write_text(PROFILE, encoding="utf-8")
    load_profile(path)
    (kept,) = cache.glob("doc-*.pickle")
    kept.write_bytes(b"not a pickle")
    assert str(load_profile(path).monthly_sales) == "1234.56"  # parsed from the file, and kept again
    assert kept.read_bytes() != b"not a pickle"
    good = kept.read_bytes()
    import pickle

    other = pickle.dumps({"id": "someone else", "kind": "enterprise", "city": "nanning"})
    kept.write_bytes(other)
    kept.chmod(0o666)  # anyone may write it: not read, and the profile's own parsed form kept in its place
    assert load_profile(path).id == "a1"
    assert kept.read_bytes() == good
    kept.write_bytes(other)
    kept.chmod(0o600)
    assert load_profile(path).id == "someone else"  # (the same file as the owner's own is read: the mode decided)
