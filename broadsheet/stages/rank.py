"""The related lists ("You may also like"): ranked in the *load* stage, or while pages render.

Reads the assembled site (what the ranking sees of each article: see content/ranking.py) and the
ranking the cache kept; makes each article's list, attached to the site and remembered in the
cache under the key of what the ranking read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Protocol

from ..content.bodystore import load_bodies
from ..content.model import Article, Site
from ..content.ranking import rank, related_input, related_settings, site_related_input
from ..incremental.cache import BuildCache
from ..incremental.keys import key_of
from ..related import index as related_stage
from ..related.incremental import RankingState, ranks_everything, update_ranking


def related_docs(site: Site) -> list[related_stage.RelatedDoc]:
    """What the related ranking sees of each published article (their texts read)."""
    return site_related_input(site).docs()


def related_inputs_key(articles: Sequence[Article], settings: related_stage.RelatedSettings) -> str:
    """Hash of the related ranking's input (see content/ranking.py): equal keys give equal lists.

    Of an article's text only the opening the ranking reads counts (``text_bytes``), by its hash,
    which a cached body keeps beside it for the default reading (the body is not read).
    """
    return key_of(related_input(list(articles), settings))


def rank_related(site: Site, cache: BuildCache | None = None) -> Site:
    """Attach the "You may also like" lists to the site (the last build's when nothing they read changed)."""
    ranked, key = rank_related_if_cached(site, cache)
    return ranked if ranked is not None else ranking_done(site, cache, ranked_lists(site, cache), key)


def rank_related_if_cached(site: Site, cache: BuildCache | None) -> tuple[Site | None, str]:
    """The site with the last build's related lists if nothing they read changed, else None; and the
    key of the ranking's input.

    Lists taken so leave the ranking's kept state as it was: when the ranking that made them saved
    it (and no build changed it since), it matches the site as read, and a plan kept by this build
    can say so (``cache.ranking_matches``, see stages/resume.py keep_plan) without every article
    hashed again."""
    key = key_of(site_related_input(site))
    lists = cache.related_lists(key) if cache is not None else None
    if lists is not None and cache is not None and cache.ranking_input() == key:
        cache.ranking_matches = True
    return (dataclasses.replace(site, related=MappingProxyType(lists)) if lists is not None else None), key


def ranked_lists(
    site: Site, cache: BuildCache | None = None, reread: Mapping[str, str] | None = None
) -> dict[str, tuple[str, ...]]:
    """Rank the related lists of every article (a thread may run it while pages render).

    With the cache, the last ranking's kept state (see related/incremental.py) is updated with
    what changed since, which gives the lists a full ranking would, and kept for the next build;
    only the articles that changed are read then.

    ``reread``: the only articles that may differ from the kept state (a resumed build's, see
    stages/resume.py), URL → :func:`edited_inputs`; the others are taken as the state holds them
    instead of hashed again. Without it, or when the state holds other articles than the site's, every article's
    input is hashed.
    """
    given = site_related_input(site)
    if cache is None or cache.folder is None:
        return rank(given)
    settings = given.settings
    head = cache.ranking_state()
    state = RankingState.from_rows(head, cache.ranking_rows(), settings) if head is not None else None
    by_url = {a.key: a for a in given.articles}
    if reread is not None and state is not None and state.digests.keys() == by_url.keys():
        digests = dict(state.digests)
        digests.update((url, digest) for url, digest in reread.items() if url in by_url)
    else:
        digests = {url: key_of(a) for url, a in by_url.items()}  # the body stands outside: its opening's hash is in
        cache.ranking_synced = True
    if ranks_everything(state, len(digests)):
        load_bodies(a.body for a in given.articles)  # the ranking reads every article's text

    def doc_of(url: str) -> related_stage.RelatedDoc:
        load_bodies([by_url[url].body])  # (loaded already when everything is ranked)
        return by_url[url].doc(settings.text_bytes)

    state, moved = update_ranking(state, digests, doc_of, settings)
    if moved:
        cache.ranking_moved = True  # a kept plan's lists are no longer the state's (see lists_stand)
    cache.set_ranking_state(*state.rows_to_save())  # the rows that changed
    return {k: tuple(v) for k, v in state.lists.items()}


def edited_inputs(site: Site, edited: Collection[str]) -> dict[str, str]:
    """The hash of what the ranking reads of each article at the URLs ``edited`` (only those hashed)."""
    urls = set(edited)
    articles = [a for a in site.articles if a.url in urls]
    return {a.key: key_of(a) for a in related_input(articles, related_settings(site)).articles}


def lists_stand(cache: BuildCache, edited: Mapping[str, str]) -> bool:
    """Whether the related lists of a kept plan stand after edits to some of its articles (``edited``:
    URL → :func:`edited_inputs`): the ranking's kept state matches the plan (the caller knows it
    holds every other article as the plan does), no build since changed a list, and it holds each
    edited article as the ranking reads it now. Only the edited articles' rows are read: an edit
    the ranking does not read (a correction at the end of a story, a typo past its opening) ranks
    nothing, and loads nothing of the ranking."""
    if cache.folder is None or cache.ranking_lists_moved():
        return False
    return cache.ranking_digests(edited) == dict(edited)


def fold_asked(
    state: RankingState | None, request: AsideRequest, settings: related_stage.RelatedSettings
) -> AsideAnswer | None:
    """What a resumed build's helper answers :func:`aside_lists` from the ranking's kept state it
    loaded (see stages/aside.py): the edits folded in; None when the state is not of these articles,
    or every article must be read again (the build, which has them, ranks then)."""
    keys, reread, docs, every = request
    if state is None or state.digests.keys() != keys:
        return None
    digests = dict(state.digests)
    digests.update((key, digest) for key, digest in reread.items() if key in keys)
    if ranks_everything(state, len(digests)):
        return None
    state, moved = update_ranking(state, digests, docs.__getitem__, settings)
    lists = state.lists
    return {k: tuple(lists[k]) for k in (lists if every else moved)}, state.rows_to_save(), bool(moved)


class Asker(Protocol):
    """What asks a resumed build's helpers (see stages/aside.Helpers): None when none answers."""

    def ask(self, request: tuple[str, Any]) -> Any | None: ...


#: A resumed build's request to its helper for the ranking (see stages/aside.py).
RANK = "rank"
#: What a resumed build asks its helper of the ranking (see :func:`aside_lists`): every article's key,
#: the hash of what the ranking reads of each edited one, their documents, and whether every list
#: is wanted (else those that changed).
AsideRequest = tuple[frozenset[str], dict[str, str], dict[str, related_stage.RelatedDoc], bool]
#: Its answer: the lists, the state's rows to save (see RankingState.rows_to_save), whether a list moved.
AsideAnswer = tuple[dict[str, tuple[str, ...]], tuple[bytes | None, dict[str, bytes], list[str], bool], bool]


def aside_lists(
    site: Site, cache: BuildCache, reread: Mapping[str, str], aside: Asker
) -> dict[str, tuple[str, ...]] | None:
    """:func:`ranked_lists` of a resumed build whose kept state matches its kept plan (the caller
    knows it), from the helper that loaded the state (see stages/aside.py and :func:`fold_asked`):
    the same lists, rows and marks, or None when the helper cannot give them (the caller then ranks
    them itself).

    The plan's lists are the state's unless a build since moved one (the cache's ``moved`` mark):
    then every list crosses from the helper, else only those the edits changed.
    """
    edited = [a for a in site.articles if a.url in reread]
    given = related_input(edited, related_settings(site))
    load_bodies(a.body for a in given.articles)
    docs = {a.key: a.doc(given.settings.text_bytes) for a in given.articles}
    every = cache.ranking_lists_moved()
    request: AsideRequest = (frozenset(a.url for a in site.articles), dict(reread), docs, every)
    answer: AsideAnswer | None = aside.ask((RANK, request))
    if answer is None:
        return None
    lists, rows, moved = answer
    if moved:
        cache.ranking_moved = True
    cache.set_ranking_state(*rows)
    if every:
        return lists
    return {**site.related, **lists}


def ranking_done(site: Site, cache: BuildCache | None, lists: dict[str, tuple[str, ...]], key: str) -> Site:
    """Remember a ranking in the cache under ``key`` (see rank_related_if_cached) and attach it to the site."""
    if cache is not None:
        cache.set_related(key, lists)
    return dataclasses.replace(site, related=MappingProxyType(lists))
