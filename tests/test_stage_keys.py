"""Stage keys are hashes of exactly a stage's input value (broadsheet.incremental.keys)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broadsheet.content.body import Body, opening_digest
from broadsheet.content.ranking import RelatedArticle, site_related_input
from broadsheet.incremental.inputs import ShapeHead, pages_input, reshaped, shape_key
from broadsheet.incremental.keys import key_of
from broadsheet.pipeline import BuildOptions, load_site, pages_site_key
from broadsheet.publish.feeds import FeedsInput, feeds_input, render_feeds
from broadsheet.publish.sitemaps import sitemap_entries, sitemap_files, sitemap_pages
from broadsheet.related.index import RelatedDoc
from broadsheet.render.pages import plan_pages
from tests.conftest import MINIMAL_SITE_YML, NOW, REPO, article, run_build


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


# --- every field of every stage's input is in its key ---------------------------------------------


def _other(value: object) -> object:
    """A value different from ``value`` (of the same kind where there is one)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value + "·"
    if isinstance(value, datetime):
        return value + timedelta(seconds=1)
    if value is None:
        return "something"
    if isinstance(value, tuple):
        return value[:-1] if value else ("something",)
    if isinstance(value, Mapping):
        return MappingProxyType({**value, "something": 1})
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        first = next(f for f in dataclasses.fields(value) if f.compare)
        return dataclasses.replace(value, **{first.name: _other(getattr(value, first.name))})  # type: ignore[type-var]
    raise AssertionError(f"no other value for {value!r}")


def _assert_every_field_counts(value: object, seen: set[type] | None = None) -> int:
    """Change each compared field of ``value`` (and of the dataclasses it holds) in turn: each changes
    the key. A field outside the key (``compare=False``) must be a body, stood for by a hash beside it.
    Returns how many fields were checked."""
    assert dataclasses.is_dataclass(value) and not isinstance(value, type)
    seen = set() if seen is None else seen
    seen.add(type(value))
    key = key_of(value)
    checked = 0
    for f in dataclasses.fields(value):
        item = getattr(value, f.name)
        if not f.compare:
            assert isinstance(item, Body), f"{type(value).__name__}.{f.name} is outside the key"
            continue
        changed = dataclasses.replace(value, **{f.name: _other(item)})  # type: ignore[type-var]
        assert key_of(changed) != key, f"{type(value).__name__}.{f.name} is not in the key"
        checked += 1
        inner = item[0] if isinstance(item, tuple) and item else item
        if dataclasses.is_dataclass(inner) and not isinstance(inner, type) and type(inner) not in seen:
            checked += _assert_every_field_counts(inner, seen)
    return checked


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=8),
            st.integers(),
            st.booleans(),
            st.none(),
            st.datetimes(timezones=st.just(UTC)),
            st.tuples(st.text(max_size=4), st.integers()),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_any_field_of_a_frozen_input_is_in_its_key(values: list[object]) -> None:
    kind = dataclasses.make_dataclass("Input", [(f"f{i}", object) for i in range(len(values))], frozen=True, slots=True)
    value = kind(*values)
    assert key_of(value) == key_of(kind(*values))
    assert _assert_every_field_counts(value) == len(values)


def test_every_field_of_each_stage_input_is_in_its_key(make_site) -> None:  # type: ignore[no-untyped-def]
    files = {
        f"content/{('world', 'sport')[i % 2]}/a{i}.md": article(
            f"Story {i}", date=f"2026-11-1{i}T08:00:00", tags=[f"T{i % 2}"], body=f"Story {i} about the harbour."
        )
        for i in range(6)
    }
    views = "name,visitors,pageviews,bounce_rate,time_on_page\n/world/story-0/,3,5,40,100\n"
    site = make_site({**files, "site.yml": MINIMAL_SITE_YML, "analytics/pages.csv": views})
    loaded = run_build(site).loaded
    jobs = plan_pages(loaded.site)
    pages = pages_input(loaded.config, loaded.theme, loaded.site, loaded.pictures)
    inputs = [
        feeds_input(loaded.site),
        site_related_input(loaded.site),
        pages,
        ShapeHead(key_of(pages), loaded.site.categories, loaded.site.tags, loaded.site.authors),
        sitemap_pages(loaded.site, jobs),
    ]
    for value in inputs:
        assert _assert_every_field_counts(value) >= len(dataclasses.fields(value)) - 1, type(value).__name__


def test_the_related_ranking_reads_only_its_input() -> None:
    """What the ranking is given of an article (RelatedDoc) is what its input holds: each of its
    fields comes from a field of the input, the text from the body the opening's hash stands for."""
    doc_fields = {f.name for f in dataclasses.fields(RelatedDoc)}
    input_fields = {f.name for f in dataclasses.fields(RelatedArticle)}
    assert doc_fields - {"text"} <= input_fields
    assert input_fields - doc_fields == {"opening", "body"}
    one = RelatedArticle(
        "/a/", "a", "A", "S", opening_digest("words"), ("t",), "world", NOW, ("b",), Body("<p>words</p>", "words")
    )
    assert one.doc() == RelatedDoc("/a/", "a", "A", "S", "words", ("t",), "world", NOW, ("b",))


# --- each stage's key changes with each of its inputs ----------------------------------------------


def test_the_pages_key_changes_with_each_input_of_the_pages(make_site) -> None:  # type: ignore[no-untyped-def]
    site = make_site(
        {
            "content/world/a.md": article("Story"),
            "static/logo.txt": "logo",
            "themes/mine/theme.yml": "extends: frontier\n",
            "themes/mine/templates/extra.html": "<p>x</p>",
            "site.yml": MINIMAL_SITE_YML.replace("\ntheme: frontier", "") + "theme: mine\n",
        }
    )

    def key() -> str:
        return pages_site_key(load_site(BuildOptions(source=site, now=NOW)))

    keys = [key()]
    assert key() == keys[0]  # the same site: the same key

    def changed(edit: Callable[[], object]) -> None:
        edit()
        keys.append(key())
        assert keys[-1] != keys[-2], len(keys)

    changed(lambda: (site / "themes/mine/templates/extra.html").write_text("<p>y</p>"))  # a template
    changed(lambda: (site / "static/logo.txt").write_text("a longer logo"))  # a static file's stamp
    changed(lambda: (site / "static/new.txt").write_text("new"))  # a static file more
    changed(lambda: (site / "i18n").mkdir() or (site / "i18n/en.yml").write_text("search: Find\n"))  # words
    yml = site / "site.yml"
    changed(lambda: yml.write_text(yml.read_text() + "tagline: Other news\n"))  # site.yml (the site view)
    views = "name,visitors,pageviews,bounce_rate,time_on_page\n/world/story/,3,5,40,100\n"
    changed(lambda: (site / "analytics").mkdir() or (site / "analytics/pages.csv").write_text(views))  # counts


def test_the_plan_shape_changes_with_what_a_page_shows(make_site) -> None:  # type: ignore[no-untyped-def]
    site = make_site({f"content/world/a{i}.md": article(f"Story {i}", date=f"2026-11-1{i}T08:00:00") for i in range(3)})
    loaded = run_build(site).loaded
    jobs = plan_pages(loaded.site)
    shape = shape_key("k", loaded.site, jobs)
    assert shape_key("k", loaded.site, plan_pages(loaded.site)) == shape
    assert shape_key("k", loaded.site, jobs[::-1]) == shape  # (no page depends on the others' order)
    assert shape_key("other", loaded.site, jobs) != shape
    first = jobs[0]
    for other in (
        dataclasses.replace(first, shows=first.shows - {first.url}),
        dataclasses.replace(first, template="list.html"),
        dataclasses.replace(first, url="/elsewhere/"),
    ):
        changed = shape_key("k", loaded.site, [other, *jobs[1:]])
        assert changed != shape
        # An edit's key is made from the one before by taking its pages out and putting them back.
        assert reshaped(shape, [first], [other]) == changed
        assert reshaped(changed, [other], [first]) == shape
    assert shape_key("k", loaded.site, jobs[1:]) != shape
    assert reshaped(shape, [first], []) == shape_key("k", loaded.site, jobs[1:])


def test_sitemaps_are_made_from_their_input_alone(make_site) -> None:  # type: ignore[no-untyped-def]
    site = make_site({f"content/world/a{i}.md": article(f"Story {i}", date=f"2026-11-1{i}T08:00:00") for i in range(3)})
    loaded = run_build(site).loaded
    given = sitemap_pages(loaded.site, plan_pages(loaded.site))
    [made] = sitemap_files(given.entries(), given.base_url)
    assert made.data == (site / "output/sitemap.xml").read_bytes()
    assert given.entries() == sitemap_entries(loaded.site, plan_pages(loaded.site))
    # Its own key: the same for the same pages, another when anything the sitemaps show changes.
    url, when = given.pages[0]
    assert sitemap_pages(loaded.site, plan_pages(loaded.site)).key() == given.key()
    others = [
        dataclasses.replace(given, base_url="https://elsewhere.example/"),
        dataclasses.replace(given, pages=((url, NOW), *given.pages[1:])),
        dataclasses.replace(given, pages=((url, None), *given.pages[1:])),
        dataclasses.replace(given, pages=((url + "x/", when), *given.pages[1:])),
        dataclasses.replace(given, pages=given.pages[1:]),
        dataclasses.replace(given, pages=(*given.pages[1:], given.pages[0])),
    ]
    keys = {other.key() for other in others}
    assert len(keys) == len(others) and given.key() not in keys
