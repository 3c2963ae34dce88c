"""Exact incremental related ranking: fold a site's changes into the last ranking.

:func:`update_ranking` takes what the last ranking kept (:class:`RankingState`), the hash of what
the ranking reads of every article now, and a way to read the articles that changed; it returns
the lists a full ranking of the site would give (:func:`~.index.compute_related`), having ranked
again only the lists a change can reach. Builds keep the state in the build cache as rows, one
shared and one per article, and write only the rows an update changed (see
:meth:`RankingState.rows_to_save` and :meth:`RankingState.from_rows`; :meth:`RankingState.to_bytes`
gives it whole); the live preview can keep it in memory.

Why this can be exact: every weight reads the corpus statistics through buckets (see
:func:`~.index.quantised`), so an edit changes the weight of a word, and with it the vectors of
the articles that carry it, only when the word's count crosses a bucket (or its name status
flips). The statistics are kept as counts (document frequency and capitalised uses of every
feature) with every article's raw features, so the new weights are known exactly. Then:

* the articles whose vector may change are the edited ones and every article that carries a
  feature whose weight changed (from its raw features, not only its strongest ones: a word whose
  weight rose may enter an article's strongest);
* the lists that may change are theirs, those that show one of them (holders), those one of
  them may now enter (their score reaches the list's floor), the time neighbours where articles
  came or went in a category, and the articles that pin a slug that came, went or moved.

Every other list keeps the same candidates with the same scores. A change in the site's size
bucket (about every 25% of growth) ranks everything again, as does any change of settings.
"""

from __future__ import annotations

import marshal
import math
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from .index import (
    RelatedDoc,
    RelatedIndex,
    RelatedSettings,
    RelatedStats,
    _add_doc,
    _Analysed,
    _Analyser,
    _around,
    _detach,
    _entrants,
    _field_layout,
    _order,
    _rerank,
    _terms,
    _vector,
    build_related_index,
    site_size,
    top_text_at,
)

#: Bumped whenever what is kept, or how the ranking reads it, changes: an older state is not used.
FORMAT = 3


@dataclass(slots=True)
class _Raw:
    """One article's features before weighting, kept so that new weights can be applied to it."""

    text_ids: array[int]
    text_counts: array[int]
    title_ids: array[int]
    tag_ids: array[int]
    named_ids: array[int]
    """Features written capitalised (repeats included, as the statistics count them)."""

    def analysed(self) -> _Analysed:
        """The article as the index weighs it."""
        return _Analysed(self.text_ids, self.text_counts, list(self.title_ids), list(self.tag_ids))

    def arrays(self) -> tuple[array[int], ...]:
        """The features in the order :class:`_Raw` takes them."""
        return self.text_ids, self.text_counts, self.title_ids, self.tag_ids, self.named_ids


def _packed(a: array[int]) -> bytes:
    """An array of non-negative ints in the smallest type that holds them, its type code first."""
    top = max(a, default=0)
    code = "B" if top < 1 << 8 else "H" if top < 1 << 16 else "i"
    return code.encode() + (a if a.typecode == code else array(code, a)).tobytes()


def _unpacked(data: bytes) -> array[int]:
    """The array :func:`_packed` packed."""
    a = array(chr(data[0]))
    a.frombytes(data[1:])
    return a


def row_digest(row: bytes) -> str | None:
    """The hash of what the ranking read of an article, from its row (see :meth:`RankingState.rows_to_save`);
    None when the row cannot be read."""
    try:
        digest = marshal.loads(row)[5]
    except (ValueError, TypeError, EOFError, IndexError, KeyError):
        return None
    return digest if isinstance(digest, str) else None


def _raw_of(a: _Analysed, named: Iterable[int]) -> _Raw:
    """Keep the features of an analysed article (stop words and numbers, id 0, left out)."""
    keep = [k for k, f in enumerate(a.text_ids) if f]
    return _Raw(
        array("i", [a.text_ids[k] for k in keep]),
        array("i", [a.text_counts[k] for k in keep]),
        array("i", a.title_ids),
        array("i", a.tag_ids),
        array("i", named),
    )


class RankingState:
    """The index of the last ranking, its lists, and what folding a change into it needs."""

    def __init__(
        self,
        settings: RelatedSettings,
        index: RelatedIndex,
        raw: list[_Raw | None],
        digests: dict[str, str],
        name_docs: list[int],
    ) -> None:
        self.settings = settings
        self.index = index
        self.raw = raw
        """Per article id of the index, its raw features (None for an id no longer used)."""
        self.digests = digests
        """Article key -> hash of what the ranking read of it."""
        self.name_docs = name_docs
        """Per feature id, the articles that write it capitalised (see _Analyser.stats)."""
        self.title_of: dict[int, int] = {
            index.stats.feature_ids[k[1]]: fid
            for k, fid in index.stats.feature_ids.items()
            if isinstance(k, tuple) and k[0] == "t"
        }
        """Text word id -> the id of the same word as a headline word, which shares its statistics."""

        self.saved: dict[str, tuple[str, tuple[str, ...], float, bytes]] | None = None
        """Per article, what its row in the cache holds that can change (hash, list, floor): the rows
        that differ are written (see :meth:`rows_to_save`). None: no row is known to be saved."""
        self.saved_head: bytes | None = None
        """The head row as saved (None: unknown)."""
        self.numbers: dict[str, int] = {}
        """Article key -> the number its row holds, by which other rows list it (see :meth:`_row`).
        Given when its row is first written, and the same while the article lives."""
        self.next_number = 0
        """The number the next article without one is given."""

    @property
    def lists(self) -> dict[str, list[str]]:
        """Article key -> related keys, best first."""
        return self.index.lists

    def to_bytes(self) -> bytes:
        """The state, compact, in one value (articles without their text): its head and its rows, as
        the build cache keeps them (see :meth:`rows_to_save`)."""
        ix = self.index
        rows = [(key, self._row(i)) for i, key in enumerate(ix.keys) if isinstance(key, str)]
        return zlib.compress(marshal.dumps((self._head(), rows)), 1)

    def _head(self) -> bytes:
        """The state's part shared by every article: the settings and the feature statistics."""
        stats = self.index.stats
        return marshal.dumps(
            (
                FORMAT,
                repr(self.settings),
                stats.n_docs,
                list(stats.feature_ids),
                array("i", stats.df).tobytes(),
                array("i", self.name_docs).tobytes(),
            )
        )

    def _row(self, i: int) -> bytes:
        """One article's row: what :meth:`from_rows` needs of it (not its text)."""
        ix = self.index
        d, r = ix.docs[i], self.raw[i]
        assert d is not None and r is not None
        number = self._number
        return marshal.dumps(
            (
                ix.ts[i],
                d.slug,
                d.category,
                d.date.isoformat(),
                d.pinned,
                self.digests[d.key],
                *(_packed(a) for a in r.arrays()),
                # The list by the rows' numbers, not the articles' URLs: half the row otherwise.
                _packed(array("i", [number(k) for k in ix.lists[d.key]])),
                ix.floor[i],
                # Where its strongest words are in its text's features: loading weighs only those
                # (see _vector), not the whole text again. Right while the weights are those it
                # was saved with, which the head saves (its mark holds the vector: see _marks).
                _packed(array("i", top_text_at(ix, i, r.text_ids))),
                number(d.key),
            )
        )

    def _number(self, key: str) -> int:
        """The number of ``key``'s row, given now (the next unused one) if it has none.

        A number stays its article's while it lives, so a row listing it reads the same for as long
        as its list does (its mark, see :meth:`_marks`, holds the keys). A number freed by an
        article gone can be given again: every list that held the article changed, so every row
        that named it is written again with the one that drops it."""
        number = self.numbers.get(key)
        if number is None:
            number = self.numbers[key] = self.next_number
            self.next_number += 1
        return number

    def _marks(self) -> dict[str, tuple[str, tuple[str, ...], float, bytes]]:
        """Per live article, what of its row can change without its hash changing (see :attr:`saved`):
        its list, its floor, and its vector's features (a weight that moved changes them)."""
        ix = self.index
        return {
            key: (self.digests[key], tuple(ix.lists[key]), ix.floor[i], ix.vec_ids[i].tobytes())
            for i, key in enumerate(ix.keys)
            if key is not None
        }

    def rows_to_save(self) -> tuple[bytes | None, dict[str, bytes], list[str], bool]:
        """What to write to the cache's rows since they were read or last saved: the head row (None:
        unchanged), the article rows that changed, the keys whose rows go, and whether every row is
        written anew (the stored rows are then all to be dropped first).

        An article's row changes with its hash (which covers everything it holds of the article),
        its list and its floor; feature ids only grow between full rankings, so a row whose article
        did not change reads the same. After a full ranking (ids numbered anew) every row is new.
        """
        head = self._head()
        marks = self._marks()
        before = self.saved
        whole = before is None
        ix = self.index
        rows = {
            key: self._row(ix.id_of[key]) for key, mark in marks.items() if before is None or before.get(key) != mark
        }
        gone = [] if before is None else [key for key in before if key not in marks]
        new_head = head if head != self.saved_head else None
        self.saved, self.saved_head = marks, head
        return new_head, rows, gone, whole

    @classmethod
    def from_rows(
        cls, head: bytes, rows: Iterable[tuple[str, bytes]], settings: RelatedSettings
    ) -> RankingState | None:
        """The state saved as rows (see :meth:`rows_to_save`), or None if unreadable, older or for other settings."""
        try:
            fmt, kept_settings, n, keys, df_b, named_b = marshal.loads(head)
            if fmt != FORMAT or kept_settings != repr(settings):
                return None
            docs = []
            numbers: dict[str, int] = {}
            for key, row in rows:
                ts, slug, category, date, pinned, digest, *arrays, related, floor, top, number = marshal.loads(row)
                docs.append((ts, key, slug, category, date, pinned, digest, arrays, related, floor, top))
                numbers[key] = number
            key_of = {number: key for key, number in numbers.items()}
            if len(key_of) != len(numbers):
                return None  # two rows of one number: not rows this code saved together
        except (ValueError, TypeError, EOFError):
            return None
        docs.sort(key=lambda d: (d[0], d[1]))  # as a full ranking adds them: by time, then key
        try:
            state = cls._assemble(
                settings,
                n,
                keys,
                df_b,
                named_b,
                (
                    (
                        key,
                        slug,
                        category,
                        date,
                        pinned,
                        digest,
                        # (_unpacked, inlined: 700,000 calls at 100,000 articles)
                        [array(chr(a[0]), a[1:]) for a in arrays],
                        [key_of[n] for n in array(chr(related[0]), related[1:])],
                        floor,
                        array(chr(top[0]), top[1:]),
                    )
                    for _, key, slug, category, date, pinned, digest, arrays, related, floor, top in docs
                ),
            )
        except (ValueError, TypeError, IndexError, KeyError):
            return None
        state.saved, state.saved_head = state._marks(), head
        state.numbers = numbers
        state.next_number = max(numbers.values(), default=-1) + 1
        return state

    @classmethod
    def from_bytes(cls, blob: bytes, settings: RelatedSettings) -> RankingState | None:
        """The state kept by :meth:`to_bytes`, or None if it is unreadable, older or for other settings."""
        try:
            head, rows = marshal.loads(zlib.decompress(blob))
        except (ValueError, TypeError, EOFError, zlib.error):
            return None
        state = cls.from_rows(head, rows, settings)
        if state is not None:
            state.saved = state.saved_head = None  # no row of the cache holds it
        return state

    @classmethod
    def _assemble(
        cls,
        settings: RelatedSettings,
        n: int,
        keys: list[object],
        df_b: bytes,
        named_b: bytes,
        docs: Iterable[tuple[str, str, str, str, tuple[str, ...], str, list[array[int]], list[str], float, array[int]]],
    ) -> RankingState:
        """The state from its parts, the articles in the order a full ranking adds them."""
        feature_ids = {k: i for i, k in enumerate(keys)}
        df = array("i")
        df.frombytes(df_b)
        named = array("i")
        named.frombytes(named_b)
        stats = RelatedStats(n, feature_ids, list(df), _names(list(df), list(named), feature_ids))
        index = RelatedIndex(settings, stats)
        _field_layout(index)
        raw: list[_Raw | None] = []
        digests: dict[str, str] = {}
        for key, slug, category, date, pinned, digest, parts, related, floor, top in docs:
            r = _Raw(*parts)
            doc = RelatedDoc(key, slug, "", "", "", (), category, datetime.fromisoformat(date), tuple(pinned))
            _add_doc(index, doc, _vector(index, r.analysed(), top), sort_postings=False)
            index.lists[key] = list(related)
            index.floor.append(floor)
            raw.append(r)
            digests[key] = digest
        return cls(settings, index, raw, digests, list(named))


def _names(df: list[int], name_docs: list[int], feature_ids: Mapping[object, int]) -> set[int]:
    """The feature ids that count as names (see _Analyser.stats), headline twins included."""
    names = {f for f, k in enumerate(name_docs) if k and 5 * k >= 3 * df[f]}
    for key, fid in feature_ids.items():
        if isinstance(key, tuple) and key[0] == "t" and feature_ids[key[1]] in names:
            names.add(fid)
    return names


def full_ranking(docs: Iterable[RelatedDoc], digests: Mapping[str, str], settings: RelatedSettings) -> RankingState:
    """Rank every list from scratch and keep what later updates need."""
    analysed: list[tuple[_Analysed, list[int]]] = []
    ordered = _order(docs)
    index = build_related_index(ordered, settings, keep=analysed)
    kept = [_raw_of(a, named) for a, named in analysed]
    del analysed
    stats = index.stats
    stats.names = set(stats.names)  # updated in place by later edits
    name_docs = [0] * len(stats.df)
    for r in kept:
        for f in r.named_ids:
            name_docs[f] += 1
    raw: list[_Raw | None] = list(kept)
    return RankingState(settings, index, raw, {d.key: digests[d.key] for d in ordered}, name_docs)


def ranks_everything(state: RankingState | None, n_articles: int) -> bool:
    """Whether :func:`update_ranking` will rank every list from scratch (reading every article)."""
    return state is None or site_size(n_articles) != state.index.n_q


def update_ranking(
    state: RankingState | None,
    digests: Mapping[str, str],
    doc_of: Callable[[str], RelatedDoc],
    settings: RelatedSettings,
) -> tuple[RankingState, set[str]]:
    """Fold the site's changes into ``state``; return the state (its ``lists`` are those a full
    ranking gives) and the keys whose lists changed.

    ``digests``: every published article's key -> hash of what the ranking reads of it (title,
    summary, the opening of the text, tags, category, date, slug, pinned); ``doc_of`` reads one
    article, and is called only for those added or changed (or for all, without a usable state).
    ``state`` is updated in place and must not be used after a call that returns another.
    """
    if state is None or repr(state.settings) != repr(settings):
        fresh = full_ranking((doc_of(k) for k in digests), digests, settings)
        return fresh, set(fresh.lists)
    before = state.digests
    removed = [k for k in before if k not in digests]
    changed = [k for k in digests if k in before and before[k] != digests[k]]
    added = [k for k in digests if k not in before]
    if not (removed or changed or added):
        return state, set()
    index = state.index
    if ranks_everything(state, len(digests)):
        fresh = full_ranking((doc_of(k) for k in digests), digests, settings)
        return fresh, {k for k, v in fresh.lists.items() if index.lists.get(k) != v}
    return state, _fold(state, digests, removed, changed, added, doc_of)


def _fold(
    state: RankingState,
    digests: Mapping[str, str],
    removed: list[str],
    changed: list[str],
    added: list[str],
    doc_of: Callable[[str], RelatedDoc],
) -> set[str]:
    """Apply removals, edits and additions to the state; return the keys whose lists changed."""
    index = state.index
    stats = index.stats
    ids = stats.feature_ids
    old_lists = {k: list(v) for k, v in index.lists.items()}
    # The new versions' features (ids grow for unknown features).
    analyser = _Analyser(None, grow=ids)
    new_docs: dict[str, tuple[RelatedDoc, _Raw]] = {}
    limit = state.settings.text_bytes
    for key in (*changed, *added):
        doc = doc_of(key)
        a = analyser.add(_terms(doc.title, doc.summary, doc.text, doc.tags, limit))
        new_docs[key] = (doc, _raw_of(a, analyser.last_named))
    # The statistics' changes.
    delta: Counter[int] = Counter()
    delta_named: Counter[int] = Counter()
    for key in (*removed, *changed):
        r = state.raw[index.id_of[key]]
        assert r is not None
        delta.subtract(r.text_ids)
        delta.subtract(r.tag_ids)
        delta_named.subtract(r.named_ids)
    for _, r in new_docs.values():
        delta.update(r.text_ids)
        delta.update(r.tag_ids)
        delta_named.update(r.named_ids)
    grow = len(ids) - len(stats.df)
    if grow > 0:
        stats.df.extend([0] * grow)
        state.name_docs.extend([0] * grow)
        _field_layout(index)
        for feature, fid in list(ids.items())[len(ids) - grow :]:
            if isinstance(feature, tuple) and feature[0] == "t":
                state.title_of[ids[feature[1]]] = fid
    touched: set[int] = set()
    names = stats.names
    assert isinstance(names, set)
    for f in set(delta) | set(delta_named):
        stats.df[f] += delta[f]
        state.name_docs[f] += delta_named[f]
        k = state.name_docs[f]
        is_name = bool(k) and 5 * k >= 3 * stats.df[f]
        twin = state.title_of.get(f)
        group = (f,) if twin is None else (f, twin)
        for g in group:
            stats.df[g] = stats.df[f]
            if is_name:
                names.add(g)
            else:
                names.discard(g)
        touched.update(group)
    stats.n_docs = len(digests)
    index.weigh_features(())  # grow the weight tables for new features (weights follow)
    weights_now = {f: index.feature_weight(f) for f in touched}
    moved = {f for f, w in weights_now.items() if (index.idf[f], index.reach[f]) != w}
    # Articles whose vector may change: the edited ones and every carrier of a reweighted feature.
    gone = set(removed) | set(changed)
    carriers: list[str] = []
    if moved:
        for i, kept in enumerate(state.raw):
            live = index.keys[i]
            if kept is None or live is None or live in gone:
                continue
            if not moved.isdisjoint(kept.text_ids) or not moved.isdisjoint(kept.tag_ids):
                carriers.append(live)
    for key in carriers:
        i = index.id_of[key]
        carried, kept = index.docs[i], state.raw[i]
        assert carried is not None and kept is not None
        new_docs[key] = (carried, kept)
    # Out of the index with the old weights (windows read the reach): whom their leaving touches.
    affected: set[int] = set()
    for key in (*removed, *changed, *carriers):
        affected |= _detach(index, key)
    for key in removed:
        state.digests.pop(key, None)
    index.weigh_features(touched)
    # Back in with the new weights: the lists they may enter, their new neighbours, their pinners.
    entering: list[int] = []
    for key, (entry, r) in sorted(new_docs.items(), key=lambda kv: (kv[1][0].date.timestamp(), kv[0])):
        i = _add_doc(index, entry, _vector(index, r.analysed()), sort_postings=True)
        index.floor.append(math.inf)
        assert len(state.raw) == i, "raw features are kept per article id"
        state.raw.append(r)
        state.digests[key] = digests[key]
        entering.append(i)
    for i in entering:
        placed = index.docs[i]
        assert placed is not None
        affected |= _entrants(index, i)
        members = index.by_cat[placed.category]
        affected.update(_around(index, placed.category, members.index(i), index.settings.count + 1))
        affected.update(index.pinners.get(placed.slug, ()))
        affected.add(i)
    # The old ids' raw features are dropped with them.
    for i, left in enumerate(index.keys):
        if left is None:
            state.raw[i] = None
    _rerank(index, affected)
    return {k for k, v in index.lists.items() if old_lists.get(k) != v}
