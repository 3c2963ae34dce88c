"""Related articles: the "You may also like" ranking.

The pipeline hands this module one :class:`RelatedDoc` per published article and
gets back, for each article key, the keys of its related articles, best first:
pinned ones (front matter ``related:``) first in their order, then the ranking.

How an article B scores as related to an article A, with the weights of
``site.yml`` (``related.weights``)::

    content = title * cosine(headline words of A, of B)
            + text  * cosine(headline, summary and body words of A, of B)
            + tags  * sum over shared tags of (idf / largest idf) ** 2
    score   = content * (1 + time * scale / (scale + days between A and B))
            + category * (1 if same category else 0)

Words are weighted by TF-IDF over the whole site: a word on few articles (a
name, a place) counts far more than one on many, and headline words count
twice more in the text. How many articles carry a word is read in buckets
(exact up to 8, then 25% apart; see :func:`quantised`), and the site's size
likewise: one article more or less rarely changes any weight, which is what
lets :mod:`.incremental` update a ranking exactly. Names count extra: words mostly written capitalised
across the site, and runs of capitalised words ("Mei Eriksen", "Red Cross"),
which tell apart people who share a first name. Tags are weighed by their
rarity on the site, not relative to the article's other tags, so a tag on half
the site adds next to nothing even to an article that has no other. Closeness
in time multiplies the content evidence rather than adding to it: follow-ups
sit near each other, but two articles that merely appeared the same day are
not related for it.

Scale comes from an inverted index: feature -> articles that carry it, in time
order. An article meets candidates only through the features it shares with
them, never through all pairs, and keeps only its strongest words
(``text_terms``); stop words and features on more than ``max_df`` of the site
are not indexed. A feature on at most ``rare_df`` articles links articles at
any distance in time, so a trial years later still finds the crime; a commoner
one links only articles within a horizon that shrinks as the feature spreads
(``horizon_days * rare_df / df``), so reading any feature's postings costs about
the same and a common word shared months apart says nothing. The articles of
the same category nearest in time are always candidates, so an article with
nothing distinctive still gets a full list. A candidate whose content score
cannot reach the list even with the largest time and category bonus is never
fully scored.

The index is kept so that one changed article can be folded in cheaply
(:func:`update_related`, :func:`remove_related`): only the articles whose
candidates include the changed one are ranked again. These two freeze the corpus
statistics (document frequencies, which words are names) at the full build, so
the result equals a full build over the same statistics
(``build_related_index(docs, settings, stats=index.stats)``), not a full build.
:func:`.incremental.update_ranking` updates the statistics too, and gives
exactly the lists of a full build.

With ``jobs`` above 1, the work is split over forked worker processes when
the calling process runs no other thread; results are the same as in one process.
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import re
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime
from itertools import compress, filterfalse, pairwise, repeat
from typing import Any, Final

from ..parallel import process_pool

#: How much of an article's text (UTF-8 bytes) the ranking reads: news puts what the story is
#: about first. :attr:`RelatedSettings.text_bytes` defaults to it.
OPENING_BYTES: Final = 3000

SIGNALS: Final = ("title", "text", "tags", "category", "time")
"""The weighted signals of the score, in the order they are reported."""

DEFAULT_WEIGHTS: Final[Mapping[str, float]] = {
    "title": 0.2,
    "text": 1.0,
    "tags": 0.4,
    "category": 0.05,
    "time": 2.0,
}
"""Weights used for any signal that ``site.yml`` leaves out."""

# Feature fields: index into the per-field weights.
_TITLE, _TEXT, _TAGS = 0, 1, 2
_FIELD_SIGNAL: Final = ("title", "text", "tags")

_SECONDS_PER_DAY: Final = 86400.0
_SMALL_SITE: Final = 50
"""No feature is dropped for being common on a site of this many articles or fewer."""

# English function words and newsroom boilerplate. Other languages lean on
# ``max_df``: their function words are on most articles and are dropped anyway.
_STOP_TEXT: Final = """
a about above after again against ago all almost also although always am among an and another any anyone
are around as at away back be became because become been before being below between both but by came can
cannot could did do does doing done down during each either else even ever every few first for from further
get gets getting got had has have having he her here hers herself him himself his how however i if in
including into is it its itself just last later least less like made make many may me might more most much
must my myself near never new next no nor not now of off often on once one only or other others our ours
ourselves out over own per put rather really said same say says saying see seen several shall she should
since so some still such than that the their theirs them themselves then there these they this those though
three through thus to told too two under until up upon us very via was way we well were what when where
whether which while who whom whose why will with within without would yes yet you your yours yourself
according added adding asked call called mr mrs ms dr week weeks year years today yesterday tomorrow time
times day days month months people news report reported reports story stories article articles
read link links click photo photos video videos update updated
monday tuesday wednesday thursday friday saturday sunday january february march april june july august
september october november december
ll re ve don didn doesn isn wasn aren won couldn wouldn
"""
_STOP_WORDS: Final = frozenset(_STOP_TEXT.split()) | {chr(c) for c in range(ord("a"), ord("z") + 1)}
_STOP_BYTES: Final = frozenset(w.encode() for w in _STOP_WORDS)

# Punctuation becomes a word break. Bytes tables make this a C-speed pass; the
# common non-ASCII marks (curly quotes, dashes, guillemets, no-break space) are
# replaced first because a byte table cannot see multi-byte characters.
_PUNCT: Final = b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_PUNCT_TABLE: Final = bytes.maketrans(_PUNCT, b" " * len(_PUNCT))
_WIDE_MARKS: Final = re.compile(rb"\xe2\x80[\x90-\xbf]")  # U+2010..U+203F: dashes, quotes, ellipsis
_LATIN_MARKS: Final = re.compile(rb"\xc2[\xa0-\xbf]")  # U+00A0..U+00BF: no-break space, guillemets
_CAPITAL_RUN: Final = re.compile(rb"[A-Z][a-z]+(?: [A-Z][a-z]+)+")


@dataclass(frozen=True, slots=True)
class RelatedDoc:
    """What the ranking may know of one article."""

    key: str
    """Unique, stable id of the article (its URL)."""
    slug: str
    title: str
    summary: str
    text: str
    """The body as plain text."""
    tags: tuple[str, ...]
    category: str
    date: datetime
    """Publication time, timezone-aware."""
    pinned: tuple[str, ...] = ()
    """Slugs from front matter ``related:``, shown first in that order."""


@dataclass(frozen=True, slots=True)
class RelatedSettings:
    """How many related articles to pick and how the signals weigh.

    ``count``, ``weights`` and ``time_scale_days`` come from ``site.yml``
    (``related: {count, weights: {title, text, tags, category, time}, time_scale_days}``);
    the other fields tune the index and have defaults that suit news sites from a
    few dozen to a few hundred thousand articles.
    """

    count: int = 6
    weights: Mapping[str, float] = field(default_factory=dict)
    """Per-signal weights; missing signals take :data:`DEFAULT_WEIGHTS`."""
    time_scale_days: float = 7.0
    """Days apart at which the time boost has fallen to half of ``weights["time"]``."""
    text_terms: int = 40
    """How many of its strongest words an article is matched on."""
    text_bytes: int = OPENING_BYTES
    """How much of the summary and text is read (about 450 words): the opening says what a story is."""
    max_df: float = 0.1
    """Words and tags on more than this share of articles are ignored."""
    rare_df: int = 100
    """Features on at most this many articles link articles at any distance in time."""
    horizon_days: float = 60.0
    """Commoner features link articles at most ``horizon_days * rare_df / df`` days apart."""
    name_boost: float = 1.5
    """Extra weight of words mostly written capitalised (names, places)."""
    jobs: int = 1
    """Worker processes. 1, the default, ranks in this process: on a shared 2-core machine workers
    were measured slower, as each article's terms must travel back to the parent; on an idle
    machine with more cores they pay off from about 10,000 articles."""

    def __post_init__(self) -> None:
        """Refuse settings that have no meaning (site.yml is checked before, this guards other callers)."""
        if self.count < 0:
            raise ValueError(f"related count must not be negative, got {self.count}")
        if not self.time_scale_days > 0:
            raise ValueError(f"related time_scale_days must be positive, got {self.time_scale_days}")

    def resolved_weights(self) -> dict[str, float]:
        """Return the weight of every signal, defaults filled in; reject unknown names."""
        unknown = sorted(set(self.weights) - set(SIGNALS))
        if unknown:
            raise ValueError(f"unknown related weight(s): {', '.join(unknown)}; known: {', '.join(SIGNALS)}")
        merged = {**DEFAULT_WEIGHTS, **self.weights}
        for name, value in merged.items():
            if value < 0:
                raise ValueError(f"related weight {name!r} must not be negative, got {value}")
        return {name: float(merged[name]) for name in SIGNALS}


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why one article is in another's related list."""

    key: str
    slug: str
    title: str
    score: float
    """The ranking score (0 for a pinned article, which is placed, not scored)."""
    parts: Mapping[str, float]
    """Weighted contribution of each signal (title, text, tags, category, time, pinned)."""
    shares: Mapping[str, float]
    """``parts`` as shares of the score; they sum to 1 (all 0 for a zero score)."""
    shared_terms: tuple[str, ...] = ()
    """The words and tags the two articles have in common, strongest first."""


@dataclass(slots=True)
class RelatedStats:
    """Corpus statistics the feature weights derive from; frozen between full builds."""

    n_docs: int
    feature_ids: dict[object, int]
    """Feature -> id. Text words are bytes, title words ``("t", bytes)``, tags ``("g", str)``."""
    df: list[int]
    """Articles carrying each feature."""
    names: AbstractSet[int]
    """Ids of words mostly written capitalised on the site (names, places)."""


@dataclass(slots=True)
class _Analysed:
    """One article's raw features before weighting: feature ids and counts."""

    text_ids: array[int]
    text_counts: array[int]
    title_ids: list[int]
    tag_ids: list[int]


class RelatedIndex:
    """The inverted index and the related lists it produced, ready for updates."""

    def __init__(self, settings: RelatedSettings, stats: RelatedStats) -> None:
        self.settings = settings
        self.stats = stats
        w = settings.resolved_weights()
        self.weights = w
        self.field_weight = (w["title"], w["text"], w["tags"])
        self.field_of: list[int] = []
        """Field (title, text, tags) of each feature id."""
        self.keys: list[str | None] = []
        self.docs: list[RelatedDoc | None] = []
        self.id_of: dict[str, int] = {}
        self.ts: list[float] = []
        """Publication time of each article in days, for time closeness and windows."""
        self.cat: list[str] = []
        self.vec_ids: list[array[int]] = []
        self.vec_w: list[array[float]] = []
        self.postings: dict[int, tuple[array[int], array[float]]] = {}
        self.by_cat: dict[str, list[int]] = {}
        """Articles of each category in (time, key) order, for the time neighbours."""
        self.by_slug: dict[str, list[int]] = {}
        self.pinners: dict[str, set[int]] = {}
        """Slug -> articles pinning it, so that a renamed slug reaches them."""
        self.lists: dict[str, list[str]] = {}
        self.floor: list[float] = []
        """Per article id, the score another article needs to enter its list (see ``_list_for``)."""
        self.labels: dict[int, object] | None = None
        self.feature_keys: list[object] = list(stats.feature_ids)
        """Feature id -> feature (ids are given in order): ties between equal weights go by feature."""
        self.n_q = site_size(stats.n_docs)
        self.idf: list[float] = []
        self.reach: list[float] = []
        self.top_idf = math.log((max(self.n_q, _SMALL_SITE) + 1) / 2)
        self.weigh_features(range(len(stats.df)))

    def feature_weight(self, fid: int) -> tuple[float, float]:
        """Return the IDF of one feature (name boost included) and how far in time it links articles.

        Both read the feature's document frequency only through :func:`quantised`, and the site's
        size through :func:`site_size`: an edit that moves a count within its bucket leaves every
        weight as it was, which is what lets an incremental ranking stay exact (see incremental.py).
        """
        n = self.n_q
        d = quantised(self.stats.df[fid])
        # The cut-off saves work on large sites; on a small one (a story on 4 of
        # 30 articles) it would drop the very words that matter, and IDF alone
        # already makes a word on most articles weigh next to nothing.
        max_df = max(int(self.settings.max_df * n), min(n, _SMALL_SITE))
        # Inverse document frequency, 0 for features that cannot or should not link
        # articles: on one article only, or on too many. A small site counts as
        # _SMALL_SITE articles: four articles cannot tell a rare word from a
        # common one, and a word or tag two of them share is evidence.
        idf = math.log((max(n, _SMALL_SITE) + 1) / d) if 2 <= d <= max_df else 0.0
        if fid in self.stats.names:
            idf *= self.settings.name_boost
        # How far apart in time (days) two articles may be for a feature to link
        # them: any distance for rare features; for commoner ones the horizon
        # shrinks as the feature spreads, so reading its postings costs about the
        # same whatever its frequency.
        rare, horizon = self.settings.rare_df, self.settings.horizon_days
        return idf, (math.inf if d <= rare else horizon * rare / d)

    def weigh_features(self, fids: Iterable[int]) -> None:
        """(Re)compute the IDF and reach of features, growing the tables for new ones."""
        idf, reach, keys = self.idf, self.reach, self.feature_keys
        grow = len(self.stats.df) - len(idf)
        if grow > 0:
            idf.extend(repeat(0.0, grow))
            reach.extend(repeat(math.inf, grow))
        if len(keys) < len(self.stats.feature_ids):
            keys.extend(list(self.stats.feature_ids)[len(keys) :])
        for f in fids:
            idf[f], reach[f] = self.feature_weight(f)


#: Document frequencies up to this are used as they are; above, they are rounded down to a
#: geometric ladder of buckets (see :func:`quantised`).
_EXACT_DF: Final = 8
_BUCKET_RATIO: Final = 1.25


def _ladder(limit: int = 1 << 40) -> list[int]:
    """Return the bucket floors above :data:`_EXACT_DF`, each 25% above the last."""
    steps = [_EXACT_DF]
    while steps[-1] < limit:
        steps.append(math.ceil(steps[-1] * _BUCKET_RATIO))
    return steps


_LADDER: Final = _ladder()


def quantised(d: int) -> int:
    """Return a document frequency rounded down to its bucket: exact up to 8, then in steps of 25%.

    A weight moves by at most ln 1.25 (about 0.22, against IDFs of 3 to 9) for it, and one article
    more or less on a common word rarely crosses a step: such a word's weight, which the lists of
    hundreds of articles read, then stays the same.
    """
    if d <= _EXACT_DF:
        return d
    return _LADDER[bisect_right(_LADDER, d) - 1]


def site_size(n: int) -> int:
    """Return the site's size as the weights read it: exact up to 64 articles, then quantised."""
    return n if n <= 64 else quantised(n)


def _key_of(index: RelatedIndex, j: int) -> str:
    """Return the key of a live article id."""
    key = index.keys[j]
    assert key is not None, "removed articles are in no list"
    return key


def _utf8(text: str) -> bytes:
    """Return text as UTF-8 with the common non-ASCII punctuation turned into spaces."""
    raw = text.encode("utf-8", "replace")
    if b"\xe2\x80" in raw:
        raw = _WIDE_MARKS.sub(b" ", raw)
    if b"\xc2" in raw:
        raw = _LATIN_MARKS.sub(b" ", raw)
    return raw


def _utf8_words(text: str) -> list[bytes]:
    """Split text into words (as UTF-8 bytes), keeping their case."""
    return _utf8(text).translate(_PUNCT_TABLE).split()


def _is_word(term: bytes) -> bool:
    """Tell whether a lower-cased token may be a feature: not a stop word, not a number."""
    return len(term) > 1 and term not in _STOP_BYTES and not term.isdigit()


def _norm_tag(tag: str) -> str:
    """Return the form under which two tags count as the same."""
    return " ".join(tag.lower().split())


def _order(docs: Iterable[RelatedDoc]) -> list[RelatedDoc]:
    """Return docs in the canonical (time, key) order so results never depend on input order."""
    ordered = sorted(docs, key=lambda d: (d.date.timestamp(), d.key, d.slug, d.title, d.text))
    # Two articles with one key are an error the build reports on its own
    # (both would write one page); here the first in that order stands for both.
    seen: set[str] = set()
    unique = []
    for d in ordered:
        if d.key not in seen:
            seen.add(d.key)
            unique.append(d)
    return unique


_Terms = tuple[dict[bytes, int], list[bytes], list[bytes], list[str]]
"""Word counts (lower case), words mostly capitalised, headline words, tags."""


def _terms(title: str, summary: str, text: str, tags: Sequence[str], limit: int) -> _Terms:
    """Extract the raw terms of one article, reading at most ``limit`` bytes of its text.

    Pure, so worker processes can run it.
    """
    capitals: dict[bytes, int] = {}
    raw = _utf8(summary + "\n" + text)
    if len(raw) > limit:
        # News puts what the story is about first; the cut also bounds the
        # work on a very long article. It falls between words.
        cut = raw.rfind(b" ", 0, limit)
        raw = raw[: cut if cut > 0 else limit]
    # Count the words as written, then fold case over the distinct words that
    # have capitals: far fewer operations than lower-casing every word.
    counts: dict[bytes, int] = Counter(raw.translate(_PUNCT_TABLE).split())
    get = counts.get
    for word in list(filterfalse(bytes.islower, counts)):
        n = counts.pop(word)
        low = word.lower()
        counts[low] = get(low, 0) + n
        capitals[low] = capitals.get(low, 0) + n
    # A word counts as capitalised in an article when most of its uses are;
    # sentence openers ("The", "Police") rarely reach a majority, names do.
    # Headlines are left out: many sites write them in title case.
    named = [w for w, n in capitals.items() if 2 * n > counts[w]]
    # Two capitalised words in a row make a name ("Mei Eriksen", "Red Cross"):
    # far more telling than "Mei" or "Cross" alone, which many others share.
    for run in _CAPITAL_RUN.findall(raw):
        parts = run.lower().split()
        for a, b in pairwise(parts):
            if a not in _STOP_BYTES and b not in _STOP_BYTES:
                pair = a + b" " + b
                counts[pair] = get(pair, 0) + 1
                named.append(pair)
    heading = sorted({w for w in map(bytes.lower, _utf8_words(title)) if _is_word(w)})
    # The headline says what the story is: its words count twice more in the text.
    for w in heading:
        counts[w] = get(w, 0) + 2
    return counts, named, heading, sorted({_norm_tag(t) for t in tags if t.strip()})


def _terms_of(docs: Sequence[RelatedDoc], limit: int) -> list[_Terms]:
    """Return the terms of a batch of articles."""
    return [_terms(d.title, d.summary, d.text, d.tags, limit) for d in docs]


# The index handed to forked worker processes: they inherit it at fork time, so
# it is never pickled across; only ranges of ids go out, lists come back.
_FORKED: RelatedIndex | None = None
_BATCH: Final = 500
_Fields = tuple[str, str, str, tuple[str, ...]]


def _batch_terms(batch: tuple[int, list[_Fields]]) -> list[_Terms]:
    """Worker: the terms of a batch of articles (title, summary, text, tags).

    The text is sent rather than read from the inherited articles: reading
    them would touch every article's memory page and copy it into the worker.
    """
    limit, articles = batch
    return [_terms(*fields, limit) for fields in articles]


def _forked_lists(span: tuple[int, int]) -> list[tuple[list[str], float]]:
    """Worker: the related lists of article ids ``span`` of the inherited index."""
    assert _FORKED is not None
    return [_list_for(_FORKED, i) for i in range(*span)]


def _workers(settings: RelatedSettings, n: int) -> int:
    """Return how many processes to use: ``settings.jobs`` when there is enough work and forking is safe.

    Forking a process that runs other threads (a live-reload server, say) can
    copy a lock held by one of them and hang the child, so threads mean serial.
    """
    wanted = settings.jobs
    if wanted <= 1 or "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        return 1
    return min(wanted, max(1, n // _BATCH))


def _spans(n: int, size: int) -> list[tuple[int, int]]:
    return [(k, min(n, k + size)) for k in range(0, n, size)]


def _in_workers(
    job: Callable[[Any], list[Any]], batches: Iterable[Any], jobs: int, index: RelatedIndex | None = None
) -> Iterator[Any]:
    """Run ``job`` over ``batches`` in ``jobs`` forked processes; yield the results in order."""
    global _FORKED
    _FORKED = index
    # Frozen objects are skipped by the workers' garbage collector, which would
    # otherwise visit, and so copy, every page of the parent's memory.
    gc.freeze()
    try:
        with process_pool(jobs, multiprocessing.get_context("fork")) as pool:
            for batch in pool.map(job, batches):
                yield from batch
    finally:
        _FORKED = None
        gc.unfreeze()


class _Analyser:
    """Turns raw terms into feature ids and counts, growing or reading the statistics."""

    def __init__(self, stats: RelatedStats | None, grow: dict[object, int] | None = None) -> None:
        """Read frozen ``stats``, or gather new ones (into the feature ids ``grow`` when given)."""
        self.frozen = stats is not None
        # Id 0 is "no feature": stop words, numbers and features unknown to frozen
        # statistics map there and weigh nothing.
        self.feature_ids: dict[object, int] = (
            stats.feature_ids if stats is not None else grow if grow is not None else {None: 0}
        )
        self.df: Counter[int] = Counter()
        self.name_docs: Counter[int] = Counter()
        self.last_named: list[int] = []
        """The features the last article added writes capitalised (repeats included, as counted)."""

    def _ids_of(self, keys: Iterable[object]) -> list[int]:
        """Map feature keys (in a stable order) to ids, adding unknown ones unless frozen."""
        ids = self.feature_ids
        out: list[int] = []
        for k in keys:
            fid = ids.get(k)
            if fid is None:
                if self.frozen:
                    continue
                fid = ids[k] = len(ids)
            out.append(fid)
        return out

    def add(self, terms: _Terms) -> _Analysed:
        """Turn one article's terms into feature ids and count them into the statistics."""
        counts, named, heading, tags = terms
        ids = self.feature_ids
        if not self.frozen:
            # Sorted so that ids, and with them every tie, never depend on set order.
            for t in sorted(t for t in counts.keys() - ids.keys() if _is_word(t)):
                ids[t] = len(ids)
        text_ids = array("i", map(ids.get, counts, repeat(0)))
        text_counts = array("i", counts.values())
        title_ids = self._ids_of([("t", w) for w in heading])
        tag_ids = self._ids_of([("g", t) for t in tags])
        if not self.frozen:
            self.df.update(text_ids)
            self.df.update(tag_ids)
            self.last_named = list(filter(None, map(ids.get, named)))
            self.name_docs.update(self.last_named)
        return _Analysed(text_ids, text_counts, title_ids, tag_ids)

    def stats(self, n_docs: int) -> RelatedStats:
        """Return the statistics gathered over ``n_docs`` articles."""
        ids = self.feature_ids
        df = [0] * len(ids)
        for fid, d in self.df.items():
            df[fid] = d
        df[0] = 0
        # A name: capitalised in at least 60% of the articles that use the word.
        names = {fid for fid, k in self.name_docs.items() if 5 * k >= 3 * df[fid]}
        # A headline word is as rare as the word is on the whole site: counting
        # headlines alone would make every everyday word look rare.
        for key, fid in ids.items():
            if isinstance(key, tuple) and key[0] == "t":
                word = ids[key[1]]
                df[fid] = df[word]
                if word in names:
                    names.add(fid)
        return RelatedStats(n_docs, ids, df, frozenset(names))


def _field_layout(index: RelatedIndex) -> None:
    """Record the field of every feature id (text, title or tag)."""
    fields = index.field_of
    keys = list(index.stats.feature_ids)
    if len(fields) == len(keys):
        return
    for k in keys[len(fields) :]:
        if isinstance(k, tuple):
            fields.append(_TITLE if k[0] == "t" else _TAGS)
        else:
            fields.append(_TEXT)


def _vector(index: RelatedIndex, a: _Analysed, top_at: Sequence[int] | None = None) -> tuple[array[int], array[float]]:
    """Weight one article's features by TF-IDF, keep the strongest, normalise each field.

    Equal weights are ordered by the feature itself, never by its id: ids depend on the order in
    which features were met, which differs between a full ranking and an incremental one.

    ``top_at``: where the strongest text words are in ``a.text_ids``, strongest first, when known
    from a vector made with the same weights (see :func:`top_text_at`): they are weighed as they
    were, without weighing and ordering every word of the text again.
    """
    idf = index.idf
    keys = index.feature_keys
    # Text: (1 + ln tf) * idf; the top words only, which bounds work per article.
    if top_at is not None:
        text_ids, counts = a.text_ids, a.text_counts
        top = [((1.0 + math.log(counts[k])) * idf[text_ids[k]], None, text_ids[k]) for k in top_at]
    else:
        top = _top_text(index, a)
    ids: list[int] = []
    weights: list[float] = []
    parts: tuple[list[tuple[float, Any, int]], ...] = (
        top,
        sorted(((idf[f], keys[f], f) for f in a.title_ids if idf[f] > 0.0), reverse=True),
    )
    for part in parts:
        norm = math.sqrt(sum(w * w for w, _, _ in part))
        for w, _, f in part:
            ids.append(f)
            weights.append(w / norm)
    # Tags are not length-normalised: an article with one ordinary tag would
    # otherwise match every article sharing it at full strength. A tag weighs
    # its IDF over the largest possible IDF, so sharing a tag found on two
    # articles only scores 1 and a tag on half the site next to nothing.
    top_idf = index.top_idf
    for f in a.tag_ids:
        if idf[f] > 0.0:
            ids.append(f)
            weights.append(idf[f] / top_idf)
    return array("i", ids), array("d", weights)


def _top_text(index: RelatedIndex, a: _Analysed) -> list[tuple[float, Any, int]]:
    """The article's strongest text words as (weight, feature, id), strongest first (see _vector)."""
    idf = index.idf
    keys = index.feature_keys
    n_terms = index.settings.text_terms
    scored = [((1.0 + math.log(c)) * idf[f], f) for f, c in zip(a.text_ids, a.text_counts, strict=True) if idf[f] > 0.0]
    if len(scored) > n_terms:
        # Those that can be among the top: a sort of bare floats (in C) finds the cut, and only
        # they are ordered with their features.
        cut = sorted([w for w, _ in scored], reverse=True)[n_terms - 1]
        scored = [x for x in scored if x[0] >= cut]
    return sorted([(w, keys[f], f) for w, f in scored], reverse=True)[:n_terms]


def top_text_at(index: RelatedIndex, i: int, text_ids: Sequence[int]) -> list[int]:
    """Where article ``i``'s strongest text words, as its vector holds them, are in ``text_ids``
    (its text's features): what :func:`_vector` takes as ``top_at`` to weigh them again."""
    where = {f: k for k, f in enumerate(text_ids)}
    field_of = index.field_of
    return [where[f] for f in index.vec_ids[i] if field_of[f] == _TEXT]


def build_related_index(
    docs: Sequence[RelatedDoc],
    settings: RelatedSettings,
    stats: RelatedStats | None = None,
    keep: list[tuple[_Analysed, list[int]]] | None = None,
) -> RelatedIndex:
    """Index all articles and rank every related list.

    With ``stats`` (from an earlier index) the weights use those statistics instead
    of fresh ones: that is what the preview's "local" update amounts to. ``keep``, if
    given, receives each article's features and the features it writes capitalised, in
    (time, key) order: what an exact incremental ranking keeps (see incremental.py).
    """
    ordered = _order(docs)
    n = len(ordered)
    jobs = _workers(settings, n)
    analyser = _Analyser(stats)
    # Raw terms are bulky (a dict per article): each is folded into compact
    # arrays as soon as it arrives, never held for the whole site at once.
    if jobs > 1:
        limit = settings.text_bytes
        fields = ((limit, [(d.title, d.summary, d.text, d.tags) for d in ordered[a:b]]) for a, b in _spans(n, _BATCH))
        terms: Iterable[_Terms] = _in_workers(_batch_terms, fields, jobs)
    else:
        terms = (_terms(d.title, d.summary, d.text, d.tags, settings.text_bytes) for d in ordered)
    analysed: list[_Analysed | None] = []
    for t in terms:
        fresh = analyser.add(t)
        analysed.append(fresh)
        if keep is not None:
            keep.append((fresh, analyser.last_named))
    index = RelatedIndex(settings, stats if stats is not None else analyser.stats(n))
    _field_layout(index)
    for k, d in enumerate(ordered):
        a = analysed[k]
        assert a is not None
        _add_doc(index, d, _vector(index, a), sort_postings=False)
        analysed[k] = None
    # Article ids follow the (time, key) order, so lists come out in that order too.
    lists: Iterable[tuple[list[str], float]] = (
        _in_workers(_forked_lists, _spans(n, _BATCH), jobs, index)
        if jobs > 1
        else (_list_for(index, i) for i in range(n))
    )
    for i, (related, floor) in enumerate(lists):
        index.lists[_key_of(index, i)] = related
        index.floor.append(floor)
    return index


def _add_doc(index: RelatedIndex, doc: RelatedDoc, vec: tuple[array[int], array[float]], sort_postings: bool) -> int:
    """Add one article to the index; return its id.

    A full build adds articles in (time, key) order, so appending keeps postings
    sorted by time; an update inserts at the right place instead.
    """
    i = len(index.keys)
    index.keys.append(doc.key)
    index.docs.append(doc)
    index.id_of[doc.key] = i
    index.ts.append(doc.date.timestamp() / _SECONDS_PER_DAY)
    index.cat.append(doc.category)
    index.vec_ids.append(vec[0])
    index.vec_w.append(vec[1])
    postings = index.postings
    members = index.by_cat.setdefault(doc.category, [])
    if sort_postings:
        order_key = _order_key(index)
        for f, w in zip(vec[0], vec[1], strict=True):
            entry = postings.get(f)
            if entry is None:
                entry = postings[f] = (array("i"), array("d"))
            ids, ws = entry
            if ids and order_key(ids[-1]) > order_key(i):
                pos = bisect_left(ids, order_key(i), key=order_key)
                ids.insert(pos, i)
                ws.insert(pos, w)
            else:
                ids.append(i)
                ws.append(w)
        members.insert(bisect_left(members, order_key(i), key=order_key), i)
    else:
        # (A whole index is assembled this way, 100,000 articles at a time: the loop is kept bare.)
        for f, w in zip(vec[0], vec[1], strict=True):
            entry = postings.get(f)
            if entry is None:
                postings[f] = (array("i", [i]), array("d", [w]))
            else:
                entry[0].append(i)
                entry[1].append(w)
        members.append(i)
    same_slug = index.by_slug.setdefault(doc.slug, [])
    same_slug.append(i)
    if len(same_slug) > 1:
        same_slug.sort(key=lambda j: index.keys[j])  # type: ignore[arg-type, return-value]
    for slug in doc.pinned:
        index.pinners.setdefault(slug, set()).add(i)
    return i


def _order_key(index: RelatedIndex) -> Callable[[int], tuple[float, str]]:
    """Return the (time, key) sort key over article ids."""
    ts, keys = index.ts, index.keys
    return lambda j: (ts[j], keys[j])  # type: ignore[return-value]


def _remove_doc(index: RelatedIndex, i: int) -> None:
    """Take article ``i`` out of every structure of the index."""
    doc = index.docs[i]
    assert doc is not None
    for f in index.vec_ids[i]:
        ids, ws = index.postings[f]
        pos = ids.index(i)
        del ids[pos]
        del ws[pos]
        if not ids:
            del index.postings[f]
    index.by_cat[doc.category].remove(i)
    if not index.by_cat[doc.category]:
        del index.by_cat[doc.category]
    index.by_slug[doc.slug].remove(i)
    if not index.by_slug[doc.slug]:
        del index.by_slug[doc.slug]
    for slug in set(doc.pinned):  # a slug pinned twice is one entry
        index.pinners[slug].discard(i)
        if not index.pinners[slug]:
            del index.pinners[slug]
    del index.id_of[doc.key]
    index.lists.pop(doc.key, None)
    index.keys[i] = None
    index.docs[i] = None
    index.vec_ids[i] = array("i")
    index.vec_w[i] = array("d")


def _window(index: RelatedIndex, f: int, t: float, slack: float = 0.0) -> tuple[array[int], array[float]]:
    """Return the postings of feature ``f`` that may link to an article published at ``t``.

    ``slack`` widens the window a little, for callers that need a superset.
    """
    ids, ws = index.postings[f]
    h = index.reach[f]
    if h == math.inf:
        return ids, ws
    h += slack
    get = index.ts.__getitem__
    lo = bisect_left(ids, t - h, key=get)
    hi = bisect_right(ids, t + h, key=get)
    return ids[lo:hi], ws[lo:hi]


def _content_scores(index: RelatedIndex, i: int, slack: float = 0.0) -> dict[int, float]:
    """Sum the weighted title, text and tag similarity of ``i`` with each article sharing a feature."""
    acc: dict[int, float] = {}
    get = acc.get
    fw = index.field_weight
    field_of = index.field_of
    t = index.ts[i]
    for f, w in zip(index.vec_ids[i], index.vec_w[i], strict=True):
        q = w * fw[field_of[f]]
        if q == 0.0:
            continue
        ids, ws = _window(index, f, t, slack)
        for j, p in zip(ids, map(q.__mul__, ws), strict=True):
            acc[j] = get(j, 0.0) + p
    acc.pop(i, None)
    return acc


def _neighbours(index: RelatedIndex, i: int) -> list[int]:
    """Return the articles of the same category nearest in time (``count`` on each side)."""
    members = index.by_cat[index.cat[i]]
    pos = bisect_left(members, (index.ts[i], _key_of(index, i)), key=_order_key(index))
    k = index.settings.count
    return members[max(0, pos - k) : pos] + members[pos + 1 : pos + 1 + k]


def _pinned_ids(index: RelatedIndex, i: int) -> list[int]:
    """Return the ids of the articles ``i`` pins, in order, without itself, unknowns or repeats."""
    doc = index.docs[i]
    assert doc is not None
    out: list[int] = []
    for slug in doc.pinned:
        targets = index.by_slug.get(slug)
        if targets and targets[0] != i and targets[0] not in out:
            out.append(targets[0])
    return out


def _totals(index: RelatedIndex, i: int, acc: dict[int, float], cands: list[int]) -> list[float]:
    """Return the full scores of ``cands`` for article ``i``."""
    w = index.weights
    scale = index.settings.time_scale_days
    near = w["time"] * scale
    same = w["category"]
    ts, cat = index.ts, index.cat
    ti, ci = ts[i], cat[i]
    # One list comprehension: this runs for every candidate of every article.
    return [acc[j] * (1.0 + near / (scale + abs(ti - ts[j]))) + (same if cat[j] == ci else 0.0) for j in cands]


def _rank(index: RelatedIndex, i: int, want: int, exclude: Iterable[int] = ()) -> list[tuple[float, int]]:
    """Return the ``want`` best (score, id) for article ``i``, best first, skipping ``exclude``.

    Candidates are the articles sharing a feature with ``i`` plus its time
    neighbours; ties go to the closer in time, then to the smaller key.
    """
    acc = _content_scores(index, i)
    for j in _neighbours(index, i):
        acc.setdefault(j, 0.0)
    for j in exclude:
        acc.pop(j, None)
    acc.pop(i, None)
    w = index.weights
    strong = 4 * want
    if len(acc) > 2 * strong + 16:
        # Time multiplies the content score by at most 1 + w_time and category
        # adds at most w_category: a candidate whose content score cannot reach
        # the want-th best full score among the strongest content matches
        # cannot enter the list, so it is not scored at all.
        cut = sorted(acc.values(), reverse=True)[strong - 1]
        cands = list(compress(acc.keys(), map(cut.__le__, acc.values())))
        totals = _totals(index, i, acc, cands)
        # The margin keeps rounding from dropping a candidate that would tie.
        theta = sorted(totals, reverse=True)[want - 1]
        limit = (theta - w["category"]) / (1.0 + w["time"]) - 1e-9
        if limit < cut:
            cands = list(compress(acc.keys(), map(limit.__le__, acc.values())))
    else:
        cands = list(acc)
    totals = _totals(index, i, acc, cands)
    if len(cands) > want:
        floor = sorted(totals, reverse=True)[want - 1]
        picked = list(compress(range(len(cands)), map(floor.__le__, totals)))
    else:
        picked = list(range(len(cands)))
    keys, ts, ti = index.keys, index.ts, index.ts[i]
    picked.sort(key=lambda k: (-totals[k], abs(ti - ts[cands[k]]), keys[cands[k]]))
    return [(totals[k], cands[k]) for k in picked[:want]]


def _list_for(index: RelatedIndex, i: int) -> tuple[list[str], float]:
    """Return the related keys of article ``i`` (pinned ones first, then the best scored) and its floor.

    The floor is the score an article needs to enter the list: that of the
    last ranked article when the list is full, minus infinity when it is not
    (anything would enter), infinity when pinned articles fill it.
    """
    pinned = _pinned_ids(index, i)
    count = index.settings.count
    want = count - len(pinned)
    ranked = _rank(index, i, want, pinned) if want > 0 else []
    floor = math.inf if want <= 0 else ranked[-1][0] if len(ranked) == want else -math.inf
    return [_key_of(index, j) for j in pinned[:count]] + [_key_of(index, j) for _, j in ranked], floor


def compute_related(docs: Sequence[RelatedDoc], settings: RelatedSettings) -> dict[str, list[str]]:
    """Return, for every doc key, the keys of its related docs, best first."""
    return build_related_index(docs, settings).lists


# How far beyond a feature's horizon an update looks for articles it may touch:
# a superset guards against the rounding of times near the edge of a window.
_SLACK: Final = 1e-6
# Scores within this of a floor count as reaching it (sums in another order).
_EPSILON: Final = 1e-9


def _holders(index: RelatedIndex, i: int) -> set[int]:
    """Return the articles whose lists show article ``i`` now."""
    key = index.keys[i]
    t = index.ts[i]
    seen: set[int] = set()
    for f in index.vec_ids[i]:
        seen.update(_window(index, f, t, _SLACK)[0])
    members = index.by_cat[index.cat[i]]
    pos = members.index(i)
    k = index.settings.count
    seen.update(members[max(0, pos - k) : pos + k + 1])
    lists, keys = index.lists, index.keys
    return {x for x in seen if x != i and key in lists.get(keys[x] or "", ())}


def _entrants(index: RelatedIndex, i: int) -> set[int]:
    """Return the articles whose lists article ``i`` may enter: its score for them reaches their floor.

    Similarity is symmetric (same features, same weights, same distance in
    time), so ``i``'s own content scores are what the others would compute.
    """
    acc = _content_scores(index, i, _SLACK)
    floor = index.floor
    cands = list(acc)
    return {x for x, t in zip(cands, _totals(index, i, acc, cands), strict=True) if t >= floor[x] - _EPSILON}


def _around(index: RelatedIndex, category: str, pos: int, width: int) -> list[int]:
    """Return the articles of a category within ``width`` places of position ``pos``."""
    members = index.by_cat.get(category, [])
    return members[max(0, pos - width) : pos + width]


def _rerank(index: RelatedIndex, affected: set[int]) -> set[str]:
    """Rank ``affected`` again and return the keys whose lists changed."""
    changed: set[str] = set()
    for j in sorted(affected):
        key = index.keys[j]
        if key is None:
            continue
        new, index.floor[j] = _list_for(index, j)
        if index.lists.get(key) != new:
            index.lists[key] = new
            changed.add(key)
    return changed


def _detach(index: RelatedIndex, key: str) -> set[int]:
    """Take an article out of the index; return the articles whose lists it may change by leaving.

    Those are the lists that show it, the articles whose time neighbours shift
    and those that pin its slug.
    """
    i = index.id_of[key]
    doc = index.docs[i]
    assert doc is not None
    affected = _holders(index, i)
    pos = index.by_cat[doc.category].index(i)
    _remove_doc(index, i)
    affected.update(_around(index, doc.category, pos, index.settings.count))
    affected.update(index.pinners.get(doc.slug, ()))
    affected.discard(i)
    return affected


def remove_related(index: RelatedIndex, key: str) -> set[str]:
    """Take one article out of the index; return the keys whose lists changed (not the removed one)."""
    if key not in index.id_of:
        return set()
    return _rerank(index, _detach(index, key))


def update_related(index: RelatedIndex, doc: RelatedDoc) -> set[str]:
    """Add or replace one article, rank again only the lists it can touch, return the keys that changed.

    Ranked again: the article itself, the lists that showed its old version,
    the lists its new version may enter, its time neighbours before and after,
    and the articles pinning its slug. Uses the statistics frozen in the index;
    see the module docstring.
    """
    old_list = index.lists.get(doc.key)
    affected = _detach(index, doc.key) if doc.key in index.id_of else set()
    analyser = _Analyser(index.stats)
    i = _add_doc(index, doc, _vector(index, analyser.add(_terms_of([doc], index.settings.text_bytes)[0])), True)
    index.floor.append(math.inf)
    affected |= _entrants(index, i)
    members = index.by_cat[doc.category]
    affected.update(_around(index, doc.category, members.index(i), index.settings.count + 1))
    affected.update(index.pinners.get(doc.slug, ()))
    affected.add(i)
    if old_list is not None:
        # Compare the article's new list with its list before the change.
        index.lists[doc.key] = old_list
    return _rerank(index, affected)


def _parts(index: RelatedIndex, i: int, j: int) -> tuple[dict[str, float], list[tuple[float, int]]]:
    """Return the weighted signals of ``j`` for ``i`` and the shared features with their weight."""
    parts = dict.fromkeys(SIGNALS, 0.0)
    parts["pinned"] = 0.0
    ti, tj = index.ts[i], index.ts[j]
    mine = dict(zip(index.vec_ids[j], index.vec_w[j], strict=True))
    shared: list[tuple[float, int]] = []
    for f, w in zip(index.vec_ids[i], index.vec_w[i], strict=True):
        other = mine.get(f)
        h = index.reach[f]
        if other is None or not ti - h <= tj <= ti + h:
            continue
        field_ = index.field_of[f]
        value = w * index.field_weight[field_] * other
        parts[_FIELD_SIGNAL[field_]] += value
        shared.append((value, f))
    w_ = index.weights
    scale = index.settings.time_scale_days
    parts["category"] = w_["category"] if index.cat[i] == index.cat[j] else 0.0
    # Closeness in time scales the content evidence up; its share is that extra.
    content = parts["title"] + parts["text"] + parts["tags"]
    parts["time"] = content * w_["time"] * scale / (scale + abs(tj - ti))
    shared.sort(key=lambda x: (-x[0], x[1]))
    return parts, shared


def _feature_label(index: RelatedIndex, fid: int) -> str:
    """Return a readable name of a feature: the word, or ``#tag``."""
    if index.labels is None:
        index.labels = {v: k for k, v in index.stats.feature_ids.items()}
    k = index.labels[fid]
    if isinstance(k, tuple):
        return f"#{k[1]}" if k[0] == "g" else bytes(k[1]).decode("utf-8", "replace")
    return k.decode("utf-8", "replace") if isinstance(k, bytes) else str(k)


def explain_in(index: RelatedIndex, key: str) -> list[Explanation]:
    """Explain the related list of ``key`` in an existing index."""
    i = index.id_of[key]
    out: list[Explanation] = []
    pinned = set(_pinned_ids(index, i))
    for other in index.lists[key]:
        j = index.id_of[other]
        doc = index.docs[j]
        assert doc is not None
        parts, shared = _parts(index, i, j)
        # A word shared in the headlines and in the texts is listed once.
        labels = tuple(dict.fromkeys(_feature_label(index, f) for _, f in shared))[:8]
        if j in pinned:
            parts = dict.fromkeys(parts, 0.0)
            parts["pinned"] = 1.0
            score = 0.0
        else:
            score = sum(parts.values())
        total = sum(parts.values())
        shares = {k: (v / total if total > 0 else 0.0) for k, v in parts.items()}
        out.append(Explanation(other, doc.slug, doc.title, score, parts, shares, labels))
    return out


def explain_related(docs: Sequence[RelatedDoc], settings: RelatedSettings, key: str) -> list[Explanation]:
    """Explain, for the article ``key``, why each related article was picked, best first."""
    return explain_in(build_related_index(docs, settings), key)
