"""The "You may also like" ranking: what an editor relies on, and the index behind it."""

from __future__ import annotations

import dataclasses
import random
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.corpus_io import story_docs
from bench.story_corpus import generate, precision
from broadsheet.related.index import (
    RelatedDoc,
    RelatedIndex,
    RelatedSettings,
    build_related_index,
    compute_related,
    explain_in,
    explain_related,
    remove_related,
    update_related,
)

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
Stories = tuple[list[RelatedDoc], dict[str, int], dict[int, int]]
"""Articles, the story of each key, the size of each story."""
SETTINGS = RelatedSettings()


def doc(
    key: str,
    text: str = "",
    title: str | None = None,
    tags: Sequence[str] = (),
    category: str = "world",
    days: float = 0.0,
    pinned: Sequence[str] = (),
    summary: str = "",
) -> RelatedDoc:
    """Return a RelatedDoc whose slug is its key."""
    return RelatedDoc(
        key=key,
        slug=key,
        title=title if title is not None else key,
        summary=summary,
        text=text,
        tags=tuple(tags),
        category=category,
        date=T0 + timedelta(days=days),
        pinned=tuple(pinned),
    )


def filler(n: int, seed: int = 1, **fields: object) -> list[RelatedDoc]:
    """Return n articles that share no word with anything: each has its own made-up vocabulary."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        words = " ".join(f"q{k}z{rng.randrange(10**6)}" for _ in range(30))
        when = rng.uniform(-200, 200)
        extra: dict[str, Any] = dict(fields)
        out.append(doc(f"filler-{k}", words, title=f"Filler q{k}z", days=when, **extra))
    return out


@pytest.fixture(scope="module")
def stories() -> Stories:
    """A small corpus of story clusters among unrelated articles."""
    return story_docs(generate(700, seed=5))


def test_an_article_is_never_its_own_related_and_only_known_keys_come_back(stories: Stories) -> None:
    docs = stories[0]
    lists = compute_related(docs, SETTINGS)
    keys = {d.key for d in docs}
    assert set(lists) == keys
    for key, related in lists.items():
        assert key not in related
        assert set(related) <= keys
        assert len(related) == len(set(related)) <= SETTINGS.count


def test_pinned_slugs_come_first_in_their_order_then_the_ranking() -> None:
    docs = [
        *filler(20),
        doc("a", "Lagos floods Okafor", pinned=["filler-3", "missing", "a", "filler-1", "filler-3"]),
        doc("b", "Lagos floods Okafor"),
    ]
    lists = compute_related(docs, SETTINGS)
    assert lists["a"][:3] == ["filler-3", "filler-1", "b"]


def test_pinned_beyond_count_are_cut_to_count() -> None:
    docs = [*filler(10), doc("a", pinned=[f"filler-{k}" for k in range(8)])]
    assert compute_related(docs, RelatedSettings(count=3))["a"] == ["filler-0", "filler-1", "filler-2"]


def test_the_same_input_in_any_order_gives_the_same_lists(stories: Stories) -> None:
    docs = list(stories[0][:300])
    expected = compute_related(docs, SETTINGS)
    for seed in (1, 2):
        shuffled = docs[:]
        random.Random(seed).shuffle(shuffled)
        assert compute_related(shuffled, SETTINGS) == expected


def test_a_rare_tag_beats_a_common_one() -> None:
    docs = filler(40)
    # "news" is on half the site, "lagos-floods" on three articles.
    docs = [dataclasses.replace(d, tags=("news",)) if k % 2 else d for k, d in enumerate(docs)]
    docs += [
        doc("a", tags=["news", "lagos-floods"]),
        doc("rare", tags=["lagos-floods"], days=30),
        doc("common", tags=["news"], days=1),
        doc("other-rare", tags=["lagos-floods"], days=40),
    ]
    related = compute_related(docs, SETTINGS)["a"]
    assert related.index("rare") < related.index("common")
    assert related.index("other-rare") < related.index("common")


def test_a_follow_up_sharing_names_and_places_but_no_tag_is_found() -> None:
    docs = filler(60, tags=["world"])
    # Other stories share the place, the topic or the people, not all of them.
    docs += [
        doc(
            f"lagos-{k}",
            f"In Lagos the council met about budget {k} and schools {k % 3}.",
            days=-90 * (k + 1),
            tags=["world"],
        )
        for k in range(4)
    ]
    docs += [
        doc(
            f"flood-{k}",
            f"Floods hit Dhaka; river rescue teams evacuated homes in Dhaka {k}.",
            days=k * 5,
            tags=["world"],
        )
        for k in range(4)
    ]
    docs += [
        doc(
            "first",
            "Floods swamped Lagos as the Ogun river burst its banks. Governor Babajide Okafor toured "
            "Ikorodu and promised relief. Okafor said rescue teams had evacuated thousands in Ikorodu.",
            title="Floods swamp Lagos",
            tags=["lagos-floods", "world"],
        ),
        doc(
            "follow-up",
            "Two days after the Ogun burst its banks, residents of Ikorodu returned to mud. Babajide "
            "Okafor faced anger over slow relief as Lagos counted the cost.",
            title="Anger in Ikorodu",
            tags=["politics"],
            days=2,
        ),
    ]
    assert compute_related(docs, SETTINGS)["first"][0] == "follow-up"


def test_on_a_small_site_a_story_on_several_articles_still_links_them() -> None:
    docs = [doc(f"other-{k}", f"Budget talks {k} stall in parliament over pensions {k}.", days=k) for k in range(16)]
    docs += [doc(f"storm-{k}", f"Storm Ilse hits Bergen; ferries cancelled {k}.", days=k) for k in range(4)]
    lists = compute_related(docs, SETTINGS)
    assert set(lists["storm-0"][:3]) == {"storm-1", "storm-2", "storm-3"}


def test_an_empty_site_and_a_single_article_work() -> None:
    assert compute_related([], SETTINGS) == {}
    assert compute_related([doc("a", "Lone article", tags=["x"])], SETTINGS) == {"a": []}


def test_story_clusters_are_found_with_high_precision(stories: Stories) -> None:
    docs, story_of, size_of = stories
    assert precision(compute_related(docs, SETTINGS), story_of, size_of) >= 0.85


def test_explanations_follow_the_list_and_shares_sum_to_one(stories: Stories) -> None:
    docs = [dataclasses.replace(d, pinned=(stories[0][5].slug,)) if k == 40 else d for k, d in enumerate(stories[0])]
    index = build_related_index(docs, SETTINGS)
    for key in (docs[40].key, docs[100].key):
        explained = explain_in(index, key)
        assert [e.key for e in explained] == index.lists[key]
        for e in explained:
            assert sum(e.shares.values()) == pytest.approx(1.0)
            assert sum(e.parts.values()) == pytest.approx(e.score if e.score else 1.0)
        scores = [e.score for e in explained if not e.shares["pinned"]]
        assert scores == sorted(scores, reverse=True)
    assert explain_in(index, docs[40].key)[0].shares["pinned"] == 1.0
    assert [e.key for e in explain_related(docs, SETTINGS, docs[100].key)] == index.lists[docs[100].key]


def test_worker_processes_give_the_same_lists_as_one_process() -> None:
    docs = story_docs(generate(1100, seed=9))[0]
    parallel = RelatedSettings(jobs=2)
    if threading.active_count() > 1:
        pytest.skip("this process runs threads: the ranking stays in one process")
    assert compute_related(docs, parallel) == compute_related(docs, RelatedSettings(jobs=1))


def test_unknown_weights_and_meaningless_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="colour"):
        compute_related([doc("a")], RelatedSettings(weights={"colour": 1.0}))
    with pytest.raises(ValueError, match="negative"):
        compute_related([doc("a")], RelatedSettings(weights={"time": -1.0}))
    with pytest.raises(ValueError, match="time_scale_days"):
        RelatedSettings(time_scale_days=0)


def test_zero_count_gives_empty_lists() -> None:
    assert compute_related(filler(5), RelatedSettings(count=0)) == {f"filler-{k}": [] for k in range(5)}


# Incremental updates: the result must equal a full build over the same statistics.


def _changed_between(before: dict[str, list[str]], after: dict[str, list[str]]) -> set[str]:
    return {k for k, v in after.items() if before.get(k) != v}


def _check_against_full_build(index: RelatedIndex, docs: dict[str, RelatedDoc]) -> None:
    full = build_related_index(list(docs.values()), index.settings, stats=index.stats)
    assert index.lists == full.lists


def _edit(d: RelatedDoc, donor: RelatedDoc, how: int) -> RelatedDoc:
    """Return a changed version of d: new text, tags, date, category or slug."""
    if how == 0:
        return dataclasses.replace(d, text=donor.text, summary=donor.summary)
    if how == 1:
        return dataclasses.replace(d, tags=(*donor.tags, "breaking"))
    if how == 2:
        return dataclasses.replace(d, date=donor.date + timedelta(hours=1))
    if how == 3:
        return dataclasses.replace(d, category=donor.category, title=donor.title)
    return dataclasses.replace(d, slug=donor.slug + "-x", pinned=(donor.slug,))


@pytest.mark.parametrize("how", range(5))
def test_an_incremental_update_equals_a_full_build(stories: Stories, how: int) -> None:
    docs = {d.key: d for d in stories[0][:400]}
    index = build_related_index(list(docs.values()), SETTINGS)
    keys = sorted(docs)
    target, donor = docs[keys[17]], docs[keys[230]]
    before = dict(index.lists)
    docs[target.key] = _edit(target, donor, how)
    changed = update_related(index, docs[target.key])
    _check_against_full_build(index, docs)
    assert changed == _changed_between(before, index.lists)


def test_adding_and_removing_articles_incrementally_equals_a_full_build(stories: Stories) -> None:
    all_docs = stories[0][:420]
    docs = {d.key: d for d in all_docs[:400]}
    index = build_related_index(list(docs.values()), SETTINGS)
    for extra in all_docs[400:410]:
        before = dict(index.lists)
        docs[extra.key] = extra
        changed = update_related(index, extra)
        assert changed == _changed_between(before, index.lists)
    for key in sorted(docs)[::37]:
        before = dict(index.lists)
        del docs[key]
        changed = remove_related(index, key)
        assert key not in index.lists
        assert changed == _changed_between(before, index.lists)
    _check_against_full_build(index, docs)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 119), st.integers(0, 119), st.integers(0, 6)), min_size=1, max_size=6))
def test_any_sequence_of_changes_equals_a_full_build(stories: Stories, steps: list[tuple[int, int, int]]) -> None:
    pool = stories[0][:120]
    docs = {d.key: d for d in pool[:100]}
    index = build_related_index(list(docs.values()), SETTINGS)
    for a, b, how in steps:
        target, donor = pool[a], pool[b]
        if how == 5 and target.key in docs and len(docs) > 10:
            del docs[target.key]
            remove_related(index, target.key)
        elif how == 6 or target.key not in docs:
            docs[target.key] = docs.get(target.key, target)
            update_related(index, docs[target.key])
        else:
            docs[target.key] = _edit(docs[target.key], donor, how)
            update_related(index, docs[target.key])
    _check_against_full_build(index, docs)


# The command line: `build.py related SLUG` explains a list.


def test_related_command_prints_each_signal_share(
    make_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from conftest import article  # type: ignore[import-not-found]

    from broadsheet.cli import main

    site = make_site(
        {
            "content/world/floods.md": article(
                "Floods swamp Lagos",
                "2025-05-01T10:00:00",
                tags=["Lagos floods"],
                slug="floods",
                body="Governor Babajide Okafor toured Ikorodu as the Ogun burst.",
            ),
            "content/world/anger.md": article(
                "Anger in Ikorodu",
                "2025-05-03T10:00:00",
                slug="anger",
                body="Babajide Okafor faced anger in Ikorodu over relief.",
            ),
            "content/sport/final.md": article("Cup final tonight", "2025-05-02T10:00:00", body="A match."),
        }
    )
    assert main(["related", "floods", "--source", str(site)]) == 0
    out = capsys.readouterr().out
    assert 'Related to "Floods swamp Lagos" (/world/floods/)' in out
    for column in ("score", "title", "text", "tags", "category", "time", "pinned"):
        assert column in out
    first = next(line for line in out.splitlines() if line.strip().startswith("1 "))
    assert "/world/anger/" in first and "okafor" in first
    assert main(["related", "nothing-like-it", "--source", str(site)]) == 1
    assert "no published article" in capsys.readouterr().err


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from("ab É“”—\U0001f4f0. \n"), max_size=80),
    summary=st.text(alphabet=st.sampled_from("ab É “"), max_size=10),
    limit=st.integers(min_value=1, max_value=60),
)
def test_the_opening_given_to_the_ranking_reads_as_the_whole_text(text: str, summary: str, limit: int) -> None:
    """The ranking is given only the start of each text (see content.ranking.opening_text): what it
    reads of that start, words, capitals and cut included, is what it reads of the whole text."""
    from broadsheet.content.ranking import opening_text
    from broadsheet.related.index import _terms

    opening = opening_text(text, limit)
    assert text.startswith(opening)
    assert _terms("Title", summary, opening, ("tag",), limit) == _terms("Title", summary, text, ("tag",), limit)
