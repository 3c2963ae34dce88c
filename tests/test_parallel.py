"""Parallel stages: the same output on one core, on a forked pool, and on any other executor."""

from __future__ import annotations

import dataclasses
import os
import pickle
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

import pytest
from conftest import article, run_build

import broadsheet.parallel as parallel
from broadsheet.parallel import map_shared
from broadsheet.pipeline import BuildOptions, load_site
from broadsheet.render.pages import RenderWork, plan_pages, render_jobs, render_parallel
from broadsheet.tuning import Tuning

#: Small sites sent down the paths of large ones: work in worker processes...
PARALLEL = Tuning(parallel_from=1)
#: ... pages staged by the workers...
STAGED = Tuning(parallel_from=1, stage_in_workers_from=1)
#: ... related lists ranked while the workers render.
OVERLAP = Tuning(parallel_from=1, stage_in_workers_from=1, rank_while_rendering_from=1)


class PicklingExecutor(Executor):
    """Runs calls in this process, but sends every argument through pickle as a cluster would."""

    def __init__(self) -> None:
        self.calls = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.calls += 1
        fn, args = pickle.loads(pickle.dumps((fn, args)))
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future

    def map(
        self, fn: Callable[..., Any], *iterables: Iterable[Any], timeout: float | None = None, chunksize: int = 1
    ) -> Iterator[Any]:
        return iter([self.submit(fn, *args).result() for args in zip(*iterables, strict=False)])


def _add(offset: int, chunk: Any) -> list[int]:
    return [offset + x for x in chunk]


def test_map_shared_keeps_order_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    items = list(range(50))
    expected = [x + 1000 for x in items]
    assert map_shared(_add, 1000, items, 1) == expected
    assert map_shared(_add, 1000, items, 2, parallel_from=1) == expected  # forked pool, value inherited
    executor = PicklingExecutor()
    assert map_shared(_add, 1000, items, 2, executor) == expected
    assert executor.calls > 1
    assert parallel._INHERITED == {}


def _pids(offset: int, chunk: Any) -> list[tuple[int, int]]:
    return [(offset + x, os.getpid()) for x in chunk]


def test_workers_forked_afresh_keep_order_and_progress() -> None:
    done: list[int] = []
    started: list[int] = []
    out = map_shared(
        _pids, 1, range(1000), 2, done=done.append, started=lambda: started.append(1), fresh_workers_every=300
    )
    assert [x for x, _ in out] == list(range(1, 1001)) and sum(done) == 1000 and started == [1]
    waves = [{pid for x, pid in out if first <= x - 1 < first + 300} for first in (0, 300, 600, 900)]
    assert os.getpid() not in waves[0]
    assert all(a.isdisjoint(b) for i, a in enumerate(waves) for b in waves[i + 1 :])  # new workers each time


def _site(make_site: Callable[..., Path]) -> Path:
    files = {
        f"content/{'world' if i % 2 else 'sport'}/a{i}.md": article(
            f"Story {i}",
            date=f"2026-11-{1 + i % 28:02d}T08:{i % 60:02d}:00",
            tags=[f"T{i % 5}"],
            body=f"Body {i}, with *emphasis* and a [link](https://example.org/{i}).",
        )
        for i in range(40)
    }
    return make_site(files)


def test_parallel_render_equals_sequential(make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    site = _site(make_site)
    loaded = load_site(BuildOptions(source=site, now=None))
    jobs = plan_pages(loaded.site)
    expected, errors = render_jobs(loaded.env, jobs)
    assert not errors and len(expected) == len(jobs)
    forked, errors = render_parallel(RenderWork(loaded.theme, loaded.config, jobs, loaded.env), 2, tuning=PARALLEL)
    assert not errors and forked == expected
    # Pickled, the work leaves its environment behind and the other side makes its own.
    pickled, errors = render_parallel(
        RenderWork(loaded.theme, loaded.config, jobs, loaded.env), 2, PicklingExecutor(), tuning=PARALLEL
    )
    assert not errors and pickled == expected


def test_template_error_reported_once_from_parallel_workers(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {f"content/world/a{i}.md": article(f"Story {i}") for i in range(12)}
    site = make_site(
        {
            **files,
            "site.yml": "title: T\ntheme: mine\n",
            "themes/mine/theme.yml": "extends: frontier\n",
            "themes/mine/templates/article.html": "{{ article.nope.deeper }}",
        }
    )
    loaded = load_site(BuildOptions(source=site, tuning=PARALLEL))
    work = RenderWork(loaded.theme, loaded.config, plan_pages(loaded.site), loaded.env)
    _, errors = render_parallel(work, 2, tuning=PARALLEL)
    assert len(errors) == 1 and "article.html" in (errors[0].path or "")


def test_whole_build_same_bytes_with_one_or_two_jobs(
    make_site: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site(make_site)
    run_build(site, output=tmp_path / "one", jobs=1, cache=False, tuning=PARALLEL)
    run_build(site, output=tmp_path / "two", jobs=2, cache=False, tuning=PARALLEL)
    one = {p.relative_to(tmp_path / "one"): p.read_bytes() for p in (tmp_path / "one").rglob("*") if p.is_file()}
    two = {p.relative_to(tmp_path / "two"): p.read_bytes() for p in (tmp_path / "two").rglob("*") if p.is_file()}
    assert one.keys() == two.keys()
    assert one == two  # nothing but the site in either output (the manifests are kept beside the cache)


def test_pages_staged_by_workers_give_the_same_site(
    make_site: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from broadsheet.publish import search
    from broadsheet.write.commit import STAGING

    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    site = _site(make_site)
    run_build(site, output=tmp_path / "memory", cache=False)
    result = run_build(site, output=tmp_path / "staged", jobs=2, tuning=STAGED)
    assert any(f.staged for f in result.files) and not (tmp_path / "staged" / STAGING).exists()
    assert result.stats and result.stats.written == len(result.files)  # counted by file, though folders moved whole

    def tree(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in root.rglob("*")
            if p.is_file() and not p.name.startswith(".broadsheet")
        }

    assert tree(tmp_path / "staged") == tree(tmp_path / "memory")
    again = run_build(site, output=tmp_path / "staged", jobs=2, tuning=STAGED)
    assert again.pages_rendered == 0 and again.stats and again.stats.written == 0
    # Rendered again to the same bytes (the cache lost): staged, found unchanged, left in place.
    again = run_build(site, output=tmp_path / "staged", jobs=2, cache=False, tuning=STAGED)
    assert again.stats and again.stats.written == 0 and again.stats.unchanged > 0
    assert tree(tmp_path / "staged") == tree(tmp_path / "memory")


def test_failed_build_leaves_nothing_staged(make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from broadsheet import pipeline
    from broadsheet.errors import BuildFailed
    from broadsheet.publish import search
    from broadsheet.write.commit import STAGING

    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    site = _site(make_site)
    run_build(site, jobs=2, tuning=STAGED)
    before = {p: p.read_bytes() for p in (site / "output").rglob("*") if p.is_file()}
    (site / "content/world/a1.md").write_text(article("Changed", body="See [this](/nowhere/)."), encoding="utf-8")
    staged: list[bool] = []
    real = pipeline.page_facts_of

    def spy(loaded, rendered, output):  # type: ignore[no-untyped-def]
        staged.append(rendered.staged)
        return real(loaded, rendered, output)

    monkeypatch.setattr(pipeline, "page_facts_of", spy)
    with pytest.raises(BuildFailed):
        run_build(site, jobs=2, strict=True, tuning=STAGED)  # the broken link fails the build after rendering
    assert staged == [True]
    assert not (site / "output" / STAGING).exists()
    assert {p: p.read_bytes() for p in (site / "output").rglob("*") if p.is_file()} == before


def test_search_index_reads_staged_pages(make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from broadsheet.publish import search

    if search.find_pagefind() is None:
        pytest.skip("Pagefind is not installed")
    site = _site(make_site)
    result = run_build(site, jobs=2, tuning=STAGED)
    assert not [w for w in result.warnings if "search" in w.message]
    fragments = list((site / "output/pagefind").rglob("fragment/*.pf_fragment"))
    assert len(fragments) == 40


def test_chunks_are_bounded_and_cover_everything() -> None:
    items = list(range(10_007))
    chunks = parallel.chunked(items, 2)
    assert max(len(c) for c in chunks) <= parallel.MAX_CHUNK
    assert [x for c in chunks for x in c] == items
    assert len(parallel.chunked(list(range(40)), 2)) == 8  # small inputs: about 4 per worker


def _tree_of(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(".broadsheet")
    }


def _rank_while_rendering(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the rounds of rendering of the builds to come (with OVERLAP, a small site takes the cold path
    that ranks related lists while pages render)."""
    from broadsheet.publish import search
    from broadsheet.stages import render as render_stage

    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    rounds: list[int] = []
    real = render_stage.render_pages

    def counted(work: RenderWork, *args: Any, **kwargs: Any) -> Any:
        rounds.append(len(work.jobs))
        return real(work, *args, **kwargs)

    monkeypatch.setattr(render_stage, "render_pages", counted)
    return rounds


def test_ranking_while_rendering_gives_the_same_site(
    make_site: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from broadsheet.publish import search

    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    site = _site(make_site)
    run_build(site, output=tmp_path / "ranked-first", cache=False)
    rounds = _rank_while_rendering(monkeypatch)
    result = run_build(site, output=tmp_path / "overlapped", jobs=2, tuning=OVERLAP)
    assert len(rounds) == 2 and rounds[1] == 40  # every page but the articles', then the 40 articles
    assert result.loaded.site.related and not result.loaded.related_pending
    assert _tree_of(tmp_path / "overlapped") == _tree_of(tmp_path / "ranked-first")
    assert "You may also like" in (tmp_path / "overlapped/world/story-1/index.html").read_text(encoding="utf-8")
    # The lists and every page's fingerprint went to the cache: the next build renders nothing.
    again = run_build(site, output=tmp_path / "overlapped", jobs=2, tuning=OVERLAP)
    assert again.pages_rendered == 0 and again.stats and again.stats.written == 0


def test_a_large_cold_build_reads_bodies_back_from_the_cache(
    make_site: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large site's cold build lets go of the bodies once they are in the cache; the workers that
    render the articles' pages (forked afresh every few pages) read theirs back, and the site is the same."""
    from broadsheet.publish import search

    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    site = _site(make_site)
    (site / "site.yml").write_text((site / "site.yml").read_text() + "feeds:\n  count: 2\n")
    run_build(site, output=tmp_path / "kept", cache=False)
    _rank_while_rendering(monkeypatch)
    # The articles' pages by new workers, 7 at a time.
    evicting = dataclasses.replace(OVERLAP, evict_bodies_from=1, fresh_workers_every=7)
    result = run_build(site, output=tmp_path / "evicted", jobs=2, tuning=evicting)
    bodies = [body for _, body in result.loaded.cache.lazy.values()]
    assert len(bodies) == 40 and sum(body.loaded for body in bodies) <= 6  # the feeds' newest, read here
    assert _tree_of(tmp_path / "evicted") == _tree_of(tmp_path / "kept")


def test_pages_that_show_related_lists_wait_for_them(
    make_site: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A theme may show related lists anywhere: a page that looks at one before the ranking is done
    is put off, then rendered with the lists."""
    from broadsheet.publish import search

    monkeypatch.setattr(search, "find_pagefind", lambda: None)
    site = _site(make_site)
    (site / "site.yml").write_text((site / "site.yml").read_text() + "theme: mine\n")
    (site / "themes/mine/templates").mkdir(parents=True)
    (site / "themes/mine/theme.yml").write_text("extends: frontier\n")
    (site / "themes/mine/templates/list.html").write_text(
        "{% for a in articles %}{{ a.title }}: {% for r in a.related %}{{ r.title }}; {% endfor %}\n{% endfor %}"
    )
    run_build(site, output=tmp_path / "ranked-first", cache=False)
    rounds = _rank_while_rendering(monkeypatch)
    run_build(site, output=tmp_path / "overlapped", jobs=2, cache=False, tuning=OVERLAP)
    assert len(rounds) == 2 and rounds[1] > 40  # the listings came back for the second round
    assert _tree_of(tmp_path / "overlapped") == _tree_of(tmp_path / "ranked-first")
    assert "; " in (tmp_path / "overlapped/category/world/index.html").read_text(encoding="utf-8")


def test_a_program_tied_to_its_parent_runs_as_itself() -> None:
    # The step that ties it to this process hands over its arguments, output and exit status.
    command = parallel.dies_with_us(["sh", "-c", 'printf "%s|" "$0" "$@"; exit 3', "zero", "one two"])
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (3, "zero|one two|", "")


def test_a_missing_program_is_left_for_subprocess_to_report() -> None:
    command = ["no-such-program-broadsheet", "--site", "x"]
    assert parallel.dies_with_us(command) == command
    with pytest.raises(FileNotFoundError):
        subprocess.run(parallel.dies_with_us(command), check=False)


def _collecting(offset: int, chunk: Any) -> list[tuple[int, bool]]:
    import gc

    return [(offset + x, gc.isenabled()) for x in chunk]


def test_workers_collect_garbage_when_the_build_does_not() -> None:
    import gc

    gc.disable()  # as while a build loads (see stages/running.py)
    try:
        got = map_shared(_collecting, 0, list(range(8)), 2, parallel_from=1)
    finally:
        gc.enable()
    assert [x for x, _ in got] == list(range(8))
    assert {on for _, on in got} == {True}


def _pid_and_square() -> tuple[int, int]:
    return os.getpid(), 7


def _answer(value: tuple[int, int], request: int) -> tuple[int, int]:
    if request < 0:
        raise ValueError("no answer to that")
    return value[0], value[1] * request


def _cannot_prepare() -> int:
    raise RuntimeError("cannot prepare")


def test_a_helper_prepares_its_value_in_another_process_and_answers() -> None:
    aside = parallel.Aside.start(_pid_and_square, _answer)
    assert aside is not None
    try:
        first = aside.ask(6)
        assert first is not None and first[0] != os.getpid() and first[1] == 42
        assert aside.ask(-1) is None  # an answer that fails: None, and the helper answers on
        assert aside.ask(2) == (first[0], 14)
    finally:
        aside.close()
    assert aside.ask(3) is None  # closed
    failing = parallel.Aside.start(_cannot_prepare, _answer)
    assert failing is not None
    try:
        assert failing.ask(1) is None
    finally:
        failing.close()


def _slow() -> int:
    time.sleep(30)
    return 1


def test_a_helper_that_takes_too_long_gives_no_answer() -> None:
    aside = parallel.Aside.start(_slow, _answer)
    assert aside is not None
    try:
        began = time.monotonic()
        assert aside.ask(1, timeout=0.5) is None
        assert time.monotonic() - began < 10
    finally:
        aside.close()


@pytest.mark.parametrize("alone_from", [1, 10_000])
def test_a_large_sites_listings_render_in_one_worker_fewer_while_it_ranks(
    make_site: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, alone_from: int
) -> None:
    """The first round's workers cannot be forked afresh while the ranking's thread runs, and each
    grows towards a copy of the build as its listings touch the stories: from
    ``listing_worker_alone_from`` articles, one worker fewer than the cores renders them (the
    ranking takes a core). The second round, the articles' pages, has every core again."""
    from broadsheet.render import pages as render_module

    files = {
        f"content/world/a{i}.md": article(f"Story {i}", date=f"2026-11-{1 + i % 28:02d}T08:00:00", tags=[f"T{i}"])
        for i in range(40)
    }
    site = make_site(files)  # forty tag pages, and their feeds: work for two workers
    _rank_while_rendering(monkeypatch)
    log = tmp_path / "rendered-by"
    real = render_module.render_job

    def logged(env: Any, job: Any) -> bytes:
        with log.open("a") as f:  # (appends of one short line: whole, from any process)
            f.write(f"{os.getpid()} {job.template}\n")
        return real(env, job)

    monkeypatch.setattr(render_module, "render_job", logged)
    tuning = dataclasses.replace(OVERLAP, listing_worker_alone_from=alone_from)
    run_build(site, output=tmp_path / "out", jobs=2, cache=False, tuning=tuning)
    rendered = [line.split() for line in log.read_text().splitlines()]
    listings = {pid for pid, template in rendered if template != "article.html"}
    articles = {pid for pid, template in rendered if template == "article.html"}
    assert str(os.getpid()) not in listings | articles  # (rendered by workers)
    assert len(listings) == (1 if alone_from == 1 else 2)
    assert len(articles) == 2
