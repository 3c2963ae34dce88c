"""The exact incremental ranking (related/incremental.py): after any sequence of edits, the lists
are those a full ranking of the site gives, list by list."""

from __future__ import annotations

import dataclasses
import hashlib
import marshal
import random
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from broadsheet.related.incremental import RankingState, update_ranking
from broadsheet.related.index import RelatedDoc, RelatedSettings, compute_related

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
SETTINGS = RelatedSettings(count=4)
# A small vocabulary, so that words sit near the edges of their count buckets and edits cross them.
WORDS = [f"w{k}" for k in range(60)] + ["harbour", "strike", "ferry", "council", "budget", "flood"]
NAMES = ["Mei Eriksen", "Red Cross", "Okafor", "Valparaiso", "Lindqvist"]
TAGS = ["ports", "weather", "budget", "transport", "health", "courts", "football"]
CATEGORIES = ["world", "politics", "sport"]


def digest(d: RelatedDoc) -> str:
    """Hash of everything the ranking reads of an article."""
    return hashlib.blake2b(repr(d).encode(), digest_size=16).hexdigest()


def sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    if rng.random() < 0.5:
        words.insert(rng.randrange(len(words)), rng.choice(NAMES))
    return " ".join(words).capitalize() + "."


def make_doc(rng: random.Random, k: int) -> RelatedDoc:
    """One generated article: text from the small vocabulary, a few names, tags, a category, a date."""
    return RelatedDoc(
        key=f"/a{k}/",
        slug=f"a{k}" if rng.random() < 0.9 else f"shared-{k % 3}",
        title=" ".join(rng.choice(WORDS + NAMES) for _ in range(4)),
        summary=sentence(rng, 8),
        text=" ".join(sentence(rng, rng.randint(5, 15)) for _ in range(rng.randint(2, 6))),
        tags=tuple(rng.sample(TAGS, rng.randint(0, 3))),
        category=rng.choice(CATEGORIES),
        date=T0 + timedelta(days=rng.uniform(-60, 60)),
        pinned=tuple(f"a{rng.randrange(130)}" for _ in range(rng.randint(0, 2))) if rng.random() < 0.1 else (),
    )


def edit(rng: random.Random, docs: dict[str, RelatedDoc], how: int, next_key: list[int]) -> None:
    """Apply one kind of edit to a random article (or add or delete one)."""
    keys = sorted(docs)
    d = docs[rng.choice(keys)]
    if how == 0:  # the headline
        docs[d.key] = dataclasses.replace(d, title=" ".join(rng.choice(WORDS + NAMES) for _ in range(5)))
    elif how == 1:  # the first paragraph
        docs[d.key] = dataclasses.replace(d, text=sentence(rng, 12) + " " + d.text)
    elif how == 2:
        docs[d.key] = dataclasses.replace(d, tags=tuple(rng.sample(TAGS, rng.randint(0, 3))))
    elif how == 3:
        docs[d.key] = dataclasses.replace(d, category=rng.choice(CATEGORIES))
    elif how == 4:
        docs[d.key] = dataclasses.replace(d, date=T0 + timedelta(days=rng.uniform(-60, 60)))
    elif how == 5:
        next_key[0] += 1
        new = make_doc(rng, next_key[0])
        docs[new.key] = new
    elif how == 6:
        if len(docs) > 70:
            del docs[d.key]
    elif how == 7:
        docs[d.key] = dataclasses.replace(d, pinned=(rng.choice(keys).strip("/"),))
    else:  # the summary
        docs[d.key] = dataclasses.replace(d, summary=sentence(rng, 6))


def check(state: RankingState, docs: dict[str, RelatedDoc]) -> None:
    """The kept lists are a full ranking's, list by list."""
    full = compute_related(list(docs.values()), SETTINGS)
    assert set(state.lists) == set(full)
    for key, expected in full.items():
        assert state.lists[key] == expected, key


def rank(state: RankingState | None, docs: dict[str, RelatedDoc]) -> tuple[RankingState, set[str]]:
    return update_ranking(state, {k: digest(d) for k, d in docs.items()}, docs.__getitem__, SETTINGS)


# Shrinking is left out: each example ranks a site many times, and the seed already names the case.
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(
    st.integers(0, 2**32 - 1),
    st.lists(st.lists(st.integers(0, 8), min_size=1, max_size=4), min_size=1, max_size=6),
    st.booleans(),
)
def test_any_sequence_of_edits_gives_a_full_rankings_lists(seed: int, batches: list[list[int]], kept: bool) -> None:
    rng = random.Random(seed)
    docs = {d.key: d for d in (make_doc(rng, k) for k in range(120))}
    next_key = [1000]
    state, _ = rank(None, docs)
    check(state, docs)
    for batch in batches:
        before = dict(state.lists)
        for how in batch:
            edit(rng, docs, how, next_key)
        if kept:  # as a build does: the state goes through the cache between builds
            restored = RankingState.from_bytes(state.to_bytes(), SETTINGS)
            assert restored is not None
            state = restored
        state, changed = rank(state, docs)
        check(state, docs)
        assert changed == {k for k, v in state.lists.items() if before.get(k) != v}


def test_an_edit_ranks_few_lists_again_on_a_larger_site() -> None:
    """A first-paragraph edit on 400 articles changes a handful of lists and ranks far fewer than all."""
    rng = random.Random(7)
    docs = {d.key: d for d in (make_doc(rng, k) for k in range(400))}
    state, _ = rank(None, docs)
    key = sorted(docs)[200]
    docs[key] = dataclasses.replace(docs[key], text="Harbour strike Valparaiso. " + docs[key].text)
    state, changed = rank(state, docs)
    check(state, docs)
    assert key in changed or state.lists[key]


def test_a_kept_state_for_other_settings_is_not_used() -> None:
    rng = random.Random(3)
    docs = {d.key: d for d in (make_doc(rng, k) for k in range(80))}
    state, _ = rank(None, docs)
    assert RankingState.from_bytes(state.to_bytes(), RelatedSettings(count=5)) is None
    assert RankingState.from_bytes(b"not a state", SETTINGS) is None


class RowStore:
    """The cache's ranking rows as a build keeps them: a head and one row per article, updated with
    only what :meth:`RankingState.rows_to_save` gives."""

    def __init__(self) -> None:
        self.head: bytes | None = None
        self.rows: dict[str, bytes] = {}
        self.written: list[int] = []

    def save(self, state: RankingState) -> None:
        head, rows, gone, whole = state.rows_to_save()
        if whole:
            self.rows.clear()
        if head is not None:
            self.head = head
        for key in gone:
            del self.rows[key]
        self.rows.update(rows)
        self.written.append(len(rows))

    def load(self) -> RankingState:
        assert self.head is not None
        state = RankingState.from_rows(self.head, sorted(self.rows.items()), SETTINGS)
        assert state is not None
        return state


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(
    st.integers(0, 2**32 - 1),
    st.lists(st.lists(st.integers(0, 8), min_size=1, max_size=3), min_size=1, max_size=5),
)
def test_a_state_kept_as_rows_written_where_they_changed_ranks_as_a_full_ranking(
    seed: int, batches: list[list[int]]
) -> None:
    """Each build reads the rows back and writes only those that changed; the rows then read back
    are those of the state the build ended with (every later ranking is a full ranking's)."""
    rng = random.Random(seed)
    docs = {d.key: d for d in (make_doc(rng, k) for k in range(120))}
    next_key = [1000]
    store = RowStore()
    state, _ = rank(None, docs)
    store.save(state)
    assert store.written == [120]
    for batch in batches:
        for how in batch:
            edit(rng, docs, how, next_key)
        state, _ = rank(store.load(), docs)
        check(state, docs)
        store.save(state)
        again = store.load()
        assert again.lists == state.lists and again.digests == state.digests
        assert set(store.rows) == set(docs)
        # Every vector read back is the state's: a row keeps where its strongest words are, and a
        # row whose vector a moved weight changed is written again.
        for key in docs:
            i, j = again.index.id_of[key], state.index.id_of[key]
            assert again.index.vec_ids[i] == state.index.vec_ids[j], key
            assert again.index.vec_w[i] == state.index.vec_w[j], key


def test_an_edit_writes_the_rows_it_changed_not_every_row() -> None:
    rng = random.Random(11)
    docs = {d.key: d for d in (make_doc(rng, k) for k in range(400))}
    store = RowStore()
    state, _ = rank(None, docs)
    store.save(state)
    key = sorted(docs)[200]
    docs[key] = dataclasses.replace(docs[key], text="Harbour strike Valparaiso. " + docs[key].text)
    state, _ = rank(store.load(), docs)
    store.save(state)
    assert 1 <= store.written[-1] < 100
    state, _ = rank(store.load(), docs)  # nothing changed: nothing written
    store.save(state)
    assert store.written[-1] == 0
    check(store.load(), docs)


def test_a_row_names_the_articles_it_lists_by_number_not_by_url() -> None:
    """A list by URLs would be half of every row; numbers read back as the same lists."""
    rng = random.Random(12)
    docs = {d.key: d for d in (make_doc(rng, k) for k in range(60))}
    state, _ = rank(None, docs)
    head, rows, _, _ = state.rows_to_save()
    assert head is not None
    for key, row in rows.items():
        listed = state.lists[key]
        assert listed and not any(other.encode() in row for other in listed), key
    again = RankingState.from_rows(head, rows.items(), SETTINGS)
    assert again is not None and again.lists == state.lists
    # Two rows holding one number are not rows saved together: not used.
    first, second = sorted(rows)[:2]
    clash = dict(rows)
    clash[second] = rows[first][: -len(marshal.dumps(state.numbers[first]))] + marshal.dumps(state.numbers[first])
    assert marshal.loads(clash[second])[-1] == state.numbers[first]
    assert RankingState.from_rows(head, clash.items(), SETTINGS) is None


def test_kept_rows_for_other_settings_or_unreadable_are_not_used() -> None:
    rng = random.Random(5)
    docs = {d.key: d for d in (make_doc(rng, k) for k in range(80))}
    state, _ = rank(None, docs)
    head, rows, _, _ = state.rows_to_save()
    assert head is not None
    assert RankingState.from_rows(head, rows.items(), RelatedSettings(count=5)) is None
    assert RankingState.from_rows(b"not a state", rows.items(), SETTINGS) is None
    assert RankingState.from_rows(head, [("/a1/", b"garbage")], SETTINGS) is None
