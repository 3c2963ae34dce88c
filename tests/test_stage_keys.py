"""Stage keys are hashes of exactly a stage's input value (broadsheet.incremental.keys)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import UTC, datetime
from types import MappingProxyType

import pytest

from broadsheet.incremental.keys import key_of
from broadsheet.publish.feeds import FeedsInput, feeds_input, render_feeds
from tests.conftest import NOW, REPO, article, run_build


@dataclasses.dataclass(frozen=True)
class Value:
    name: str
    when: datetime
    tags: frozenset[str]
    extra: MappingProxyType[str, object]
    skipped: object = dataclasses.field(default=None, compare=False)


def _value(**changes: object) -> Value:
    base = Value("a", NOW, frozenset({"x", "y", "z"}), MappingProxyType({"k": 1, "j": (1, 2)}))
    return dataclasses.replace(base, **changes)


def test_equal_values_have_equal_keys_and_every_field_counts() -> None:
    assert key_of(_value()) == key_of(_value())
    assert key_of(_value(skipped=object())) == key_of(_value())  # outside comparison, outside the key
    for changed in (
        _value(name="b"),
        _value(when=datetime(2026, 11, 29, 12, 0, 1, tzinfo=UTC)),
        _value(tags=frozenset({"x", "y"})),
        _value(extra=MappingProxyType({"k": 1, "j": (1, 3)})),
        _value(extra=MappingProxyType({"k": True, "j": (1, 2)})),  # True is not 1
    ):
        assert key_of(changed) != key_of(_value())


def test_keys_are_the_same_in_another_process() -> None:
    # Sets are ordered by string hashes, which change from process to process.
    code = (
        "from broadsheet.incremental.keys import key_of;"
        "print(key_of((frozenset({'alpha', 'beta', 'gamma', 'delta'}), {'b': 1, 'a': 2})))"
    )
    keys = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO).stdout
        for _ in range(3)
    }
    assert keys == {key_of((frozenset({"alpha", "beta", "gamma", "delta"}), {"b": 1, "a": 2})) + "\n"}


def test_values_without_a_stable_text_are_refused() -> None:
    with pytest.raises(TypeError, match="not a plain value"):
        key_of((1, object()))


def test_feeds_are_made_from_their_input_alone(make_site) -> None:  # type: ignore[no-untyped-def]
    files = {f"content/world/a{i}.md": article(f"Story {i}", date=f"2026-11-1{i}T08:00:00") for i in range(4)}
    site = make_site({**files, "site.yml": "title: T\nbase_url: https://x.example/\nfeeds:\n  count: 2\n"})
    loaded = run_build(site).loaded.site
    given = feeds_input(loaded)
    assert isinstance(given, FeedsInput) and [len(f.items) for f in given.feeds] == [2, 2]
    built = {f.path: f.data for f in render_feeds(given)}
    assert built["feed.xml"] == (site / "output/feed.xml").read_bytes()
    # What the feeds show is in the key: a headline of a story in them changes it...
    first = given.feeds[0]
    retitled = dataclasses.replace(first, items=(dataclasses.replace(first.items[0], title="New"), *first.items[1:]))
    assert key_of(dataclasses.replace(given, feeds=(retitled, *given.feeds[1:]))) != key_of(given)
    # ... and so is everything the feed's text depends on.
    assert key_of(dataclasses.replace(given, full_text=not given.full_text)) != key_of(given)
