"""The kept plan's file (stages/keptplan.py): loaded hollow, filled chunk by chunk as the plan it kept.

A build keeps its plan; the next build loads it with every article, view and page *hollow* (see
deferred.py) and fills a chunk when one of its objects is first read. These tests check that the
filled plan is the plan that was kept, field by field; that reading one object fills its chunk
and no other; that an edit applied before the fill stays; that a damaged file is not read; and
that a resumed edit leaves most of a site's chunks unread.
"""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from broadsheet import deferred
from broadsheet.content.body import Body
from broadsheet.outputs import CACHE_DIR
from broadsheet.pipeline import BuildOptions
from broadsheet.plan import Plan
from broadsheet.render.pages import render_jobs
from broadsheet.render.shows import link_fields, linked_views
from broadsheet.render.views import ArticleView
from broadsheet.stages import keptplan, resume
from broadsheet.stages.keptplan import PLAN_FILE, KeptPlan, load_kept_plan
from broadsheet.stages.load import load_site
from tests.conftest import run_build
from tests.test_resume import ASIDE, newsroom, rewrite, was_resumed


def kept_by_build(site: Path, monkeypatch: pytest.MonkeyPatch) -> Plan:
    """Build ``site`` and return the plan the build kept, as it was in memory."""
    saved: list[KeptPlan] = []
    save = keptplan.save_kept_plan

    def keep(folder: Path, kept: KeptPlan, refs: Any) -> bool:
        saved.append(kept)
        return save(folder, kept, refs)

    monkeypatch.setattr(resume, "save_kept_plan", keep)
    run_build(site, search=False)
    monkeypatch.undo()
    assert saved
    return saved[-1].plan


def plain(value: Any) -> str:
    """A value's repr, a body as its opening (a kept body is where the cache keeps it, not its
    text), an article's view as its URL (views are compared on their own, see :func:`own`)."""
    if isinstance(value, ArticleView):
        return f"view {value.url}"
    if isinstance(value, Body):
        return f"Body({value.opening!r}, {value.blank!r})"
    if isinstance(value, list | tuple):
        return f"{type(value).__name__}[{', '.join(map(plain, value))}]"
    if isinstance(value, Mapping):
        return f"{type(value).__name__}{{{', '.join(f'{k!r}: {plain(v)}' for k, v in value.items())}}}"
    if dataclasses.is_dataclass(value):
        return f"{type(value).__name__}{plain({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})}"
    return repr(value)


def own(view: Any) -> dict[str, str]:
    """A view's fields but its links, as :func:`plain`, and its links as URLs."""
    links = set(link_fields(type(view)))
    out = {f.name: plain(getattr(view, f.name)) for f in dataclasses.fields(view) if f.name not in links}
    for name in links:
        value = getattr(view, name)
        out[name] = repr([v.url for v in value] if isinstance(value, list | tuple) else value and value.url)
    return out


def load(site: Path) -> Plan:
    kept = load_kept_plan(site / CACHE_DIR)
    assert kept is not None
    return kept.plan


def test_a_filled_kept_plan_is_the_plan_the_build_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keptplan, "VIEWS_PER_CHUNK", 3)
    monkeypatch.setattr(keptplan, "PAGES_PER_CHUNK", 5)
    site = newsroom(tmp_path / "site")
    was = kept_by_build(site, monkeypatch)
    plan = load(site)
    assert deferred.pending() == 2 * len(was.site.articles) + len(was.pages)
    assert_same_plan(plan, was)
    assert deferred.pending() == 0


def assert_same_plan(plan: Plan, was: Plan) -> None:
    """A loaded plan, every object filled by reading it, is ``was`` field by field."""
    assert plan.pages_showing is not None  # (asked before any page's shows are made)
    for some in ({next(iter(was.views))}, set(list(was.views)[::4])):
        assert plan.pages_showing(some) == {job.url for job in was.pages if not some.isdisjoint(job.shows)}
    assert [a.url for a in plan.site.articles] == [a.url for a in was.site.articles]
    for a, b in zip(plan.site.articles, was.site.articles, strict=True):
        assert type(a) is type(b)
        assert plain(a) == plain(b)
    assert list(plan.views) == list(was.views)
    for url, view in plan.views.items():
        assert type(view) is type(was.views[url])
        assert own(view) == own(was.views[url])
        assert view.body is plan.site.articles[list(plan.views).index(url)].body  # one body, as built
    assert [(j.url, j.template, j.source, j.shows) for j in plan.pages] == [
        (j.url, j.template, j.source, j.shows) for j in was.pages
    ]
    for job, before in zip(plan.pages, was.pages, strict=True):
        assert {k: plain(v) for k, v in job.context.items()} == {k: plain(v) for k, v in before.context.items()}
        assert job.context["site"] is plan.sv  # shared by every page, given the day's time in place
    linking: dict[str, set[str]] = {}
    for url, view in was.views.items():
        for _, linked in linked_views(view):
            for other in linked:
                linking.setdefault(other.url, set()).add(url)
    assert plan.linking is not None
    for url in was.views:
        assert plan.linking({url}) == linking.get(url, set())
    some = set(list(was.views)[::3])
    assert plan.linking(some) == set().union(*(linking.get(url, set()) for url in some))


def test_reading_a_view_fills_its_chunk_and_no_other(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keptplan, "VIEWS_PER_CHUNK", 2)
    site = newsroom(tmp_path / "site")
    run_build(site, search=False)
    plan = load(site)
    hollow = deferred.pending()
    urls = list(plan.views)
    assert plan.views[urls[2]].url == urls[2]  # from the head: what a fingerprint reads of every view
    assert plan.views[urls[2]].tags  # (and what a fingerprint reads)
    assert plan.views[urls[2]].title  # (and what a month of the archive shows)
    assert plan.views[urls[2]].next is plan.views[urls[1]]  # (and its links, as views)
    assert deferred.pending() == hollow
    assert plan.views[urls[2]].summary == plan.site.articles[2].summary != ""
    assert deferred.pending() == hollow - 4  # the chunk's two articles and their two views
    assert plan.views[urls[3]].words and deferred.pending() == hollow - 4
    assert plan.views[urls[4]].summary and deferred.pending() == hollow - 8


def test_a_views_head_fields_are_unpickled_with_their_chunk_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading unpickles no view's head fields (100,000 views' were most of loading the plan):
    reading one view's unpickles those of its chunk, and which views link to an article is found
    without any."""
    monkeypatch.setattr(keptplan, "VIEWS_PER_CHUNK", 2)
    site = newsroom(tmp_path / "site")
    run_build(site, search=False)
    unpickled: list[int] = []
    real = keptplan._Chunks._load

    def counted(self: Any, chunk: int) -> Any:
        unpickled.append(chunk)
        return real(self, chunk)

    monkeypatch.setattr(keptplan._Chunks, "_load", counted)
    plan = load(site)
    assert unpickled == []
    urls = list(plan.views)
    assert plan.linking is not None and plan.linking({urls[3]}) == {urls[2], urls[4]} | {
        url for url, view in plan.views.items() if urls[3] in {v.url for v in view.related}
    }
    unpickled.clear()  # (reading every view's related list above read every chunk)
    plan = load(site)
    assert plan.views[urls[2]].title and plan.views[urls[3]].date
    assert len(unpickled) == 1  # the chunk of views 2 and 3, their head fields only
    assert plan.views[urls[5]].next is plan.views[urls[4]]
    assert len(unpickled) == 2
    assert plan.linking is not None and urls[2] in plan.linking({urls[3]})
    assert len(unpickled) == 2


def test_a_month_of_the_archive_renders_without_reading_its_stories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit renders its month of the archive, which lists every story of the month: what it
    shows of each is set on loading, so none of their chunks is read."""
    monkeypatch.setattr(keptplan, "VIEWS_PER_CHUNK", 1)
    monkeypatch.setattr(keptplan, "PAGES_PER_CHUNK", 1)
    site = newsroom(tmp_path / "site", n=40)
    run_build(site, search=False)
    env = load_site(BuildOptions(source=site, search=False)).env
    plan = load(site)
    month = next(job for job in plan.pages if job.template == "archive_month.html")
    hollow = deferred.pending()
    pages, errors = render_jobs(env, [month])
    assert not errors
    listed = month.context["articles"]
    assert len(listed) > 10 and all(v.title in pages[month.url].decode() for v in listed)
    assert deferred.pending() == hollow - 1  # the page's own context, and no story


def test_fields_written_before_their_chunk_is_read_stay(tmp_path: Path) -> None:
    site = newsroom(tmp_path / "site")
    run_build(site, search=False)
    plan = load(site)
    view = next(iter(plan.views.values()))
    deferred.written(view)  # as plan.edit_plan updates an edited article's view
    view.title = "Edited in place"  # (a field the head holds)
    view.summary = "A summary edited in place"  # (one the chunk holds)
    neighbour = list(plan.views.values())[1]
    assert neighbour.words is not None  # fills the chunk
    assert view.title == "Edited in place"
    assert view.summary == "A summary edited in place"
    assert deferred.is_set(view, "words")  # the fields not written are filled with the chunk


def test_a_damaged_kept_plan_is_not_read(tmp_path: Path) -> None:
    site = newsroom(tmp_path / "site")
    run_build(site, search=False)
    path = site / CACHE_DIR / PLAN_FILE
    data = bytearray(path.read_bytes())
    data[len(data) * 2 // 3] ^= 0x40  # inside a chunk: read only when one of its objects is
    path.write_bytes(bytes(data))
    assert load_kept_plan(site / CACHE_DIR) is None


def test_a_resumed_edit_reads_few_of_the_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keptplan, "VIEWS_PER_CHUNK", 1)
    monkeypatch.setattr(keptplan, "PAGES_PER_CHUNK", 1)
    site = newsroom(tmp_path / "site", n=60)
    run_build(site, search=False, tuning=ASIDE)
    rewrite(site / "content/world/a40.md", "lede", 1)
    unread: set[str] = set()
    save = keptplan.save_kept_plan

    def keep(folder: Path, kept: KeptPlan, refs: Any) -> bool:
        # (gathered before saving, which may read some)
        unread.update(job.url for job in kept.plan.pages if not deferred.is_set(job, "context"))
        return save(folder, kept, refs)

    monkeypatch.setattr(resume, "save_kept_plan", keep)
    result = run_build(site, search=False, tuning=ASIDE)
    assert was_resumed(result)
    assert result.loaded.resumed is not None
    edit = result.loaded.resumed.edit
    if not unread:  # the plan was not saved again
        unread = {job.url for job in edit.plan.pages if not deferred.is_set(job, "context")}
    # Only the pages that can show the edit were read (to be fingerprinted or rendered): the others
    # are those of most stories, sections and tags.
    assert {job.url for job in edit.plan.pages} - unread <= edit.candidates
    assert len(unread) > len(edit.plan.pages) // 2
    # Nor were the articles most pages show made into sets (an edit asks the head which pages show it).
    assert sum(not deferred.is_set(job, "shows") for job in edit.plan.pages) > len(edit.plan.pages) // 2


def test_a_plan_saved_again_copies_the_chunks_no_edit_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keptplan, "VIEWS_PER_CHUNK", 2)
    monkeypatch.setattr(keptplan, "PAGES_PER_CHUNK", 4)
    site = newsroom(tmp_path / "site", n=120)
    run_build(site, search=False, tuning=ASIDE)
    saved: list[KeptPlan] = []
    pickled: list[int] = []
    save, pickle_chunk = keptplan.save_kept_plan, keptplan._pickled

    unread: list[int] = []

    def keep(folder: Path, kept: KeptPlan, refs: Any) -> bool:
        saved.append(kept)
        pickled.clear()
        done = save(folder, kept, refs)
        # Saving reads no article or view the build did not: their names, and what the head holds
        # of each view, are the loaded file's.
        unread.append(
            sum(deferred.untouched(a) and deferred.untouched(kept.plan.views[a.url]) for a in kept.plan.site.articles)
        )
        return done

    def count(*args: Any) -> bytes:
        pickled.append(1)
        return pickle_chunk(*args)

    monkeypatch.setattr(resume, "save_kept_plan", keep)
    monkeypatch.setattr(keptplan, "_pickled", count)
    for k in range(resume.RESAVE_FROM):  # edits since the kept plan: the plan is saved again
        rewrite(site / f"content/{('world', 'sport')[k % 2]}/a{10 + k:02d}.md", "append", k)
        assert was_resumed(run_build(site, search=False, tuning=ASIDE))
    assert saved, "the plan was not saved again"
    was = saved[-1].plan
    chunks = 2 * -(-len(was.site.articles) // 2) + -(-len(was.pages) // 4)  # (articles', pages', views' heads)
    assert 0 < len(pickled) < chunks // 2  # most were copied as they were stored
    assert unread[-1] > len(was.site.articles) // 4  # (the others were read by the edits: chunks of two)
    assert_same_plan(load(site), was)


def test_a_hollow_object_pickled_or_asked_for_a_missing_field_behaves_as_a_whole_one(tmp_path: Path) -> None:
    site = newsroom(tmp_path / "site")
    run_build(site, search=False)
    plan = load(site)
    view = next(iter(plan.views.values()))
    job = plan.pages[0]
    # A template asking for a field no view has gets nothing, as from a view made whole (Jinja
    # turns the AttributeError into an undefined value), and the view stays hollow.
    hollow = deferred.pending()
    assert getattr(view, "no_such_field", None) is None
    assert getattr(job, "no_such_field", None) is None
    assert deferred.pending() == hollow
    # Pickled (to a render worker), it travels filled.
    copy = pickle.loads(pickle.dumps(view))
    assert copy.title == view.title != ""
    assert pickle.loads(pickle.dumps(job)).context.keys() == job.context.keys()


def test_a_plan_that_cannot_be_pickled_is_not_kept_and_leaves_no_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saving fails as a whole on a value that does not pickle, half-way through the chunks: no file
    is written, and the threads compressing the chunks made so far are ended."""
    import threading

    monkeypatch.setattr(keptplan, "PAGES_PER_CHUNK", 1)
    site = newsroom(tmp_path / "site")
    saved: list[tuple[KeptPlan, Any]] = []
    monkeypatch.setattr(resume, "save_kept_plan", lambda folder, kept, refs: saved.append((kept, refs)) or False)
    run_build(site, search=False)
    [(kept, refs)] = saved
    job = kept.plan.pages[len(kept.plan.pages) // 2]
    object.__setattr__(job, "context", {**job.context, "unpicklable": lambda: None})
    before = threading.active_count()
    assert keptplan.save_kept_plan(site / CACHE_DIR, kept, refs) is False
    assert not (site / CACHE_DIR / PLAN_FILE).exists()
    assert threading.active_count() == before
    object.__setattr__(job, "context", {k: v for k, v in job.context.items() if k != "unpicklable"})
    assert keptplan.save_kept_plan(site / CACHE_DIR, kept, refs) is True  # (the same plan, picklable)
    assert (site / CACHE_DIR / PLAN_FILE).exists()
