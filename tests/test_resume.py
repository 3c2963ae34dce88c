"""A build resumed from the last build's plan (stages/resume.py) makes the site a full build makes.

After a build, its plan is kept in the cache. The next build, finding only articles edited in
place, reads those and applies them to the kept plan; anything else plans the site anew. These
tests edit a newsroom's articles at random, build after each edit, and compare the output and
the warnings with those of a build from scratch of the same files: byte for byte. They also check
that the edits that move nothing did resume (else the comparison would test the full build twice)
and that every other change, and every input the plan depends on, plans the site anew.
"""

from __future__ import annotations

import random
import re
import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from broadsheet.content.ranking import related_input, related_settings
from broadsheet.filestamp import RACY_NS
from broadsheet.incremental.cache import PageFingerprints
from broadsheet.incremental.inputs import shape_key
from broadsheet.incremental.keys import key_of
from broadsheet.outputs import CACHE_DIR, PageJob
from broadsheet.pipeline import BuildResult
from broadsheet.publish import search
from broadsheet.publish.search import find_pagefind
from broadsheet.related.incremental import RankingState
from broadsheet.render.pages import plan_pages
from broadsheet.render.shows import links_to
from broadsheet.stages.keptplan import PLAN_FILE
from broadsheet.tuning import Tuning
from tests.conftest import MINIMAL_SITE_YML, NOW, article, count_stats, run_build, tree

SECTIONS = ("world", "sport")
TAGS = ("Flood", "Harbour", "Election", "Budget", "Storm")


def newsroom(root: Path, n: int = 24) -> Path:
    """A site of ``n`` stories with tags, bylines, a lead story, a redirect, a pinned related story,
    a scheduled expiry and a story still under embargo; two to a listing page."""
    for i in range(n):
        extra: dict[str, object] = {"slug": f"story-{i}", "tags": [TAGS[i % 5], TAGS[(i * 3) % 5]]}
        if i == 3:
            extra["aliases"] = ["/old/3/"]
        if i == 5:
            extra |= {"featured": True, "related": ["story-1"], "author": "ana"}
        if i == 8:
            extra["expires"] = (NOW + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S")
        if i == 9:
            extra["date"] = (NOW + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S")  # under embargo
        date = str(extra.pop("date", f"2026-{11 - i // 28:02d}-{1 + i % 28:02d}T08:{i % 60:02d}:00"))
        body = f"Story {i} about the {TAGS[i % 5].lower()} and the town.\n\nMore on the story, part {i}."
        path = root / f"content/{SECTIONS[i % 2]}/a{i:02d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(article(f"Story {i}", date=date, body=body, **extra), encoding="utf-8")
    (root / "site.yml").write_text(MINIMAL_SITE_YML, encoding="utf-8")
    return root


def rewrite(path: Path, change: str, k: int) -> None:
    """Apply one kind of edit to an article file."""
    text = path.read_text(encoding="utf-8")
    head, _, body = text.partition("\n---\n")
    if change == "lede":
        body = re.sub(r"^(\n*)", rf"\g<1>Officials said on day {k} that ", body, count=1)
    elif change == "headline":
        head = re.sub(r"^title: .*$", f'title: "A new headline {k}"', head, count=1, flags=re.M)
    elif change == "append":
        body += f"\nCorrection {k}: an earlier version misstated a figure.\n"
    elif change == "summary":
        head += f'\nsummary: "What happened on day {k}"'
    elif change == "subheading":
        body += f"\n## Update {k}\n\nThe harbour reopened.\n"
    elif change == "updated":  # moves the story's time in the sitemaps, nowhere else
        head = re.sub(r"\nupdated: .*$", "", head, flags=re.M) + f"\nupdated: 2026-11-29T{k % 10:02d}:15:00"
    elif change == "tags":  # moves the story between tag pages: planned anew
        head = re.sub(r"^tags: .*$", f'tags: ["{TAGS[k % 5]}", "Tag {k}"]', head, count=1, flags=re.M)
    elif change == "date":  # moves it in every listing: planned anew
        head = re.sub(r"^date: .*$", f"date: 2026-11-{1 + k % 27:02d}T09:30:00", head, count=1, flags=re.M)
    elif change == "draft" and "draft:" not in head:  # unpublished: planned anew
        head += "\ndraft: true"
    path.write_text(f"{head}\n---\n{body}", encoding="utf-8")


def was_resumed(result: BuildResult) -> bool:
    """Whether the build resumed from the kept plan (a plain bool: a failed assertion shows no plan)."""
    return result.loaded.resumed is not None


def fresh_build(site: Path, scratch: Path) -> BuildResult:
    """The same files built from scratch: no cache, no earlier output."""
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir()
    shutil.copytree(site / "content", scratch / "content")
    shutil.copy(site / "site.yml", scratch / "site.yml")
    for folder in ("static", "themes"):
        if (site / folder).is_dir():
            shutil.copytree(site / folder, scratch / folder)
    return run_build(scratch, search=False, cache=False)


def same_site(site: Path, result: BuildResult, scratch: Path) -> None:
    fresh = fresh_build(site, scratch)
    assert tree(site / "output") == tree(scratch / "output")
    assert sorted(map(str, result.warnings)) == sorted(map(str, fresh.warnings))


MOVE_NOTHING = ("lede", "headline", "append", "summary", "subheading", "updated")
MOVE = ("tags", "date", "draft")


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_random_edits_resumed_make_the_site_a_full_build_makes(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    site = newsroom(tmp_path / "site")
    run_build(site, search=False)
    assert (site / CACHE_DIR / PLAN_FILE).is_file()
    files = sorted((site / "content").rglob("*.md"))
    resumed = 0
    for k in range(14):
        change = rng.choice(MOVE_NOTHING) if k % 4 else rng.choice(MOVE)
        edited = rng.sample(files, rng.choice((1, 1, 2)))
        for path in edited:
            if path.exists():
                rewrite(path, change, k)
        result = run_build(site, search=False)
        if change in MOVE_NOTHING and not any(p.name in ("a09.md",) for p in edited):
            resumed += was_resumed(result)
        if change in MOVE and any("draft: true" not in p.read_text() for p in edited if p.exists()):
            assert not was_resumed(result), (change, [p.name for p in edited])
        same_site(site, result, tmp_path / "fresh")
    assert resumed >= 6  # the edits that move nothing resumed (the embargoed story's never publish it)


def test_an_edit_to_a_lede_renders_only_the_pages_that_show_the_story(tmp_path: Path) -> None:
    site = newsroom(tmp_path / "site")
    run_build(site, search=False)
    warm = run_build(site, search=False)
    assert was_resumed(warm) and warm.pages_rendered == 0
    rewrite(site / "content/sport/a01.md", "lede", 1)
    result = run_build(site, search=False)
    assert was_resumed(result)
    shown = {job.url for job in result.loaded.resumed.edit.plan.pages if "/sport/story-1/" in job.shows}
    assert 0 < result.pages_rendered <= len(shown)
    same_site(site, result, tmp_path / "fresh")


def test_pages_showing_an_article_edited_since_the_last_build_are_rendered_unprinted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page showing an article whose bytes the last build did not see has a new fingerprint: it
    is rendered without one (the archive shows every article). An article edited before the last
    build is fingerprinted as any other; the output stays a full build's."""
    from broadsheet.incremental.cache import PageFingerprints
    from broadsheet.plan import UNPRINTED

    site = newsroom(tmp_path / "site")
    run_build(site, search=False)
    printed: list[PageJob] = []
    real = PageFingerprints.of
    monkeypatch.setattr(PageFingerprints, "of", lambda self, job: printed.append(job) or real(self, job))
    rewrite(site / "content/sport/a01.md", "lede", 1)
    result = run_build(site, search=False)
    assert was_resumed(result) and result.loaded.resumed is not None
    assert result.loaded.resumed.fresh == {"/sport/story-1/"}
    assert not any("/sport/story-1/" in job.shows for job in printed)
    prints = result.loaded.cache.page_store(site / "output")
    assert prints["/archive/"][0].startswith(UNPRINTED) and prints["/sport/story-1/"][0].startswith(UNPRINTED)
    same_site(site, result, tmp_path / "fresh")
    printed.clear()
    rewrite(site / "content/world/a02.md", "lede", 2)  # story 1: edited since the kept plan, not since the last build
    result = run_build(site, search=False)
    assert was_resumed(result) and result.loaded.resumed is not None
    assert result.loaded.resumed.fresh == {"/world/story-2/"}
    assert any("/sport/story-1/" in job.shows and "/world/story-2/" not in job.shows for job in printed)
    same_site(site, result, tmp_path / "fresh")


def test_an_edit_that_moves_no_time_takes_the_sitemaps_key_from_the_kept_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sitemaps list every page with its time: an edit that moves no article's time keeps them
    without listing the pages; one that moves a time (``updated``) lists them and shows the time."""
    from broadsheet.stages import publish

    site = newsroom(tmp_path / "site")
    run_build(site, search=False)
    listed: list[int] = []
    real = publish.sitemap_pages
    monkeypatch.setattr(publish, "sitemap_pages", lambda *args: listed.append(1) or real(*args))
    rewrite(site / "content/sport/a01.md", "lede", 1)
    result = run_build(site, search=False)
    assert was_resumed(result) and result.loaded.resumed.sitemaps_key is not None
    assert listed == []
    same_site(site, result, tmp_path / "fresh")  # (a full build: lists them)
    listed.clear()
    rewrite(site / "content/sport/a01.md", "updated", 2)
    result = run_build(site, search=False)
    assert was_resumed(result) and result.loaded.resumed.sitemaps_key is None
    assert listed == [1]
    assert "2026-11-29T02:15:00" in (site / "output/sitemap.xml").read_text(encoding="utf-8")
    same_site(site, result, tmp_path / "fresh")


@pytest.mark.parametrize(
    "change",
    ["template", "site.yml", "static", "new article", "removed article", "page", "another day", "expired", "record"],
)
def test_what_the_plan_depends_on_changed_plans_the_site_anew(tmp_path: Path, change: str) -> None:
    site = newsroom(tmp_path / "site")
    (site / "content/pages").mkdir(parents=True)
    (site / "content/pages/about.md").write_text("---\ntitle: About\n---\n\nWho we are.\n", encoding="utf-8")
    (site / "static").mkdir()
    (site / "static/logo.txt").write_text("logo", encoding="utf-8")
    theme = site / "themes/local"
    (theme / "templates").mkdir(parents=True)
    (theme / "theme.yml").write_text("name: local\nextends: frontier\n", encoding="utf-8")
    (site / "site.yml").write_text(MINIMAL_SITE_YML + "theme: local\n", encoding="utf-8")
    run_build(site, search=False)
    assert was_resumed(run_build(site, search=False))
    now = NOW
    if change == "template":
        (theme / "templates/404.html").write_text("<!doctype html><title>Lost</title><p>Not here.", encoding="utf-8")
    elif change == "site.yml":
        (site / "site.yml").write_text(MINIMAL_SITE_YML.replace("Test Times", "Test Herald") + "theme: local\n")
    elif change == "static":
        (site / "static/logo.txt").write_text("a new logo", encoding="utf-8")
    elif change == "new article":
        (site / "content/world/new.md").write_text(article("Breaking", date="2026-11-28T10:00:00"), encoding="utf-8")
    elif change == "removed article":
        (site / "content/world/a02.md").unlink()
    elif change == "page":
        (site / "content/pages/about.md").write_text("---\ntitle: About us\n---\n\nWho we are.\n", encoding="utf-8")
    elif change == "another day":
        now = NOW + timedelta(days=1)
    elif change == "expired":  # a9's embargo lifts: the plan changes with no file touched
        now = NOW + timedelta(days=3)
    elif change == "record":
        record = site / "content/_permalinks.yml"
        record.write_text(record.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    result = run_build(site, search=False, now=now)
    assert not was_resumed(result)
    if change not in ("another day", "expired"):
        same_site(site, result, tmp_path / "fresh")
    assert was_resumed(run_build(site, search=False, now=now))  # kept again


def test_an_output_changed_by_hand_is_mended_by_a_resumed_build(tmp_path: Path) -> None:
    site = newsroom(tmp_path / "site")
    run_build(site, search=False)
    page = site / "output/world/story-2/index.html"
    page.write_text("tampered", encoding="utf-8")
    (site / "output/tag/flood/index.html").unlink()
    rewrite(site / "content/sport/a01.md", "lede", 1)
    result = run_build(site, search=False)
    assert was_resumed(result)
    same_site(site, result, tmp_path / "fresh")


def test_a_kept_plan_that_cannot_be_read_plans_the_site_anew(tmp_path: Path) -> None:
    site = newsroom(tmp_path / "site")
    run_build(site, search=False)
    kept = site / CACHE_DIR / PLAN_FILE
    kept.write_bytes(kept.read_bytes()[:200])
    rewrite(site / "content/sport/a01.md", "lede", 1)
    result = run_build(site, search=False)
    assert not was_resumed(result)
    same_site(site, result, tmp_path / "fresh")
    assert was_resumed(run_build(site, search=False))


def test_an_edit_with_a_problem_is_reported_as_a_full_build_reports_it(tmp_path: Path) -> None:
    site = newsroom(tmp_path / "site")
    run_build(site, search=False)
    path = site / "content/world/a02.md"
    path.write_text(path.read_text(encoding="utf-8").replace("title:", "title: [", 1), encoding="utf-8")
    from tests.conftest import build_errors

    errors = build_errors(site, search=False)
    assert any("a02.md" in e for e in errors)


@pytest.mark.skipif(find_pagefind() is None, reason="Pagefind is not installed")
def test_a_resumed_build_indexes_the_edited_month_as_a_full_build_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "MIN_SHARD_PAGES", 1)  # a shard a month, even for a small site
    site = newsroom(tmp_path / "site")
    run_build(site)
    rewrite(site / "content/sport/a03.md", "lede", 1)
    result = run_build(site)
    assert was_resumed(result) and result.search_shards_indexed == ("2026-11",)
    scratch = tmp_path / "fresh"
    scratch.mkdir()
    shutil.copytree(site / "content", scratch / "content")
    shutil.copy(site / "site.yml", scratch / "site.yml")
    run_build(scratch, cache=False)
    assert tree(site / "output") == tree(scratch / "output")


def test_an_edit_undone_then_another_edit_ranks_as_a_full_build(tmp_path: Path) -> None:
    """The related ranking's kept state follows every build: an article edited, then put back as it
    was when the plan was kept, is folded back into it before the next edit is ranked."""
    site = newsroom(tmp_path / "site", 120)  # large enough that an edit does not keep the plan again
    time.sleep(RACY_NS / 1e9 + 0.2)  # stamps old enough to trust: only edited files are touched
    run_build(site, search=False)
    story = site / "content/world/a02.md"
    original = story.read_text(encoding="utf-8")
    rewrite(story, "lede", 1)
    assert was_resumed(run_build(site, search=False))
    story.write_text(original, encoding="utf-8")
    assert not was_resumed(run_build(site, search=False))  # undone: the site is planned anew
    rewrite(site / "content/sport/a05.md", "lede", 3)
    result = run_build(site, search=False)
    # That plan's lists were the last ranking's (the same input): the state held the undone edit,
    # so this build hashed every article rather than trust it.
    assert was_resumed(result) and result.loaded.resumed is not None and not result.loaded.resumed.ranking_trusted
    cache, settings = result.loaded.cache, related_settings(result.loaded.site)
    state = RankingState.from_rows(cache.ranking_state(), cache.ranking_rows(), settings)
    assert state is not None
    read_now = related_input(list(result.loaded.site.articles), settings).articles
    assert state.digests == {a.key: key_of(a) for a in read_now}
    same_site(site, result, tmp_path / "fresh")


def test_a_resumed_build_hashes_only_the_edited_article_when_the_ranking_matched_the_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ranking's kept state carries the token of the plan it was made to match: a build resumed
    from that plan hashes the edited article's ranking input alone, not every article's."""
    from broadsheet.stages import rank

    site = newsroom(tmp_path / "site")
    run_build(site, search=False)
    hashed: list[object] = []
    real = rank.key_of

    def counting(value: object) -> str:
        hashed.append(value)
        return real(value)

    monkeypatch.setattr(rank, "key_of", counting)
    rewrite(site / "content/world/a02.md", "lede", 1)
    result = run_build(site, search=False)
    assert was_resumed(result) and result.loaded.resumed is not None and result.loaded.resumed.ranking_trusted
    assert len(hashed) == 1
    same_site(site, result, tmp_path / "fresh")


def test_a_full_build_that_reuses_the_ranking_keeps_a_plan_the_ranking_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new day plans the site anew, and reuses the related lists (nothing they read changed): the
    ranking's kept state still matches the site, so the plan it keeps carries the state's token, and
    the day's edits hash only the edited article, as after a build that ranked."""
    from broadsheet.stages import rank

    site = newsroom(tmp_path / "site")
    run_build(site, search=False)
    next_day = run_build(site, search=False, now=NOW + timedelta(days=1))
    assert not was_resumed(next_day)
    hashed: list[object] = []
    real = rank.key_of
    monkeypatch.setattr(rank, "key_of", lambda value: hashed.append(value) or real(value))
    rewrite(site / "content/world/a02.md", "lede", 1)
    result = run_build(site, search=False, now=NOW + timedelta(days=1, hours=1))
    assert was_resumed(result) and result.loaded.resumed is not None and result.loaded.resumed.ranking_trusted
    assert len(hashed) == 1
    same_as_fresh(site, tmp_path / "fresh", NOW + timedelta(days=1, hours=1))


def test_a_ranking_state_changed_by_an_edit_is_not_taken_as_matching_the_lists(tmp_path: Path) -> None:
    """A resumed build folds an edit into the ranking's kept state without hashing every article:
    the state then matches no remembered input. The edit undone, the next full build takes the
    remembered lists (their input is the site's again) but not the state as matching them (it still
    holds the edit): the plan it keeps is not trusted, and the next edit hashes every article."""
    site = newsroom(tmp_path / "site")
    path = site / "content/world/a02.md"
    original = path.read_bytes()
    run_build(site, search=False)
    rewrite(path, "lede", 1)
    assert was_resumed(run_build(site, search=False))
    path.write_bytes(original)
    undone = run_build(site, search=False, now=NOW + timedelta(days=1))  # a new day: planned anew
    assert not was_resumed(undone) and not undone.loaded.cache.ranking_matches
    rewrite(site / "content/world/a04.md", "lede", 2)
    result = run_build(site, search=False, now=NOW + timedelta(days=1, hours=1))
    assert was_resumed(result) and result.loaded.resumed is not None and not result.loaded.resumed.ranking_trusted
    same_as_fresh(site, tmp_path / "fresh", NOW + timedelta(days=1, hours=1))


def same_as_fresh(site: Path, scratch: Path, now: datetime) -> None:
    """The output is that of a build from scratch of the same files at ``now``."""
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(site / "content", scratch / "content")
    shutil.copy(site / "site.yml", scratch / "site.yml")
    run_build(scratch, search=False, cache=False, now=now)
    assert tree(site / "output") == tree(scratch / "output")


def test_an_edit_the_ranking_does_not_read_loads_none_of_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A correction at the end of a story changes nothing the related ranking reads: the kept plan's
    lists stand and the ranking's state is not loaded. Once a build since the plan has moved a
    list (the plan's lists are then stale), the next edit folds into the state again."""
    site = newsroom(tmp_path / "site", 240)  # large enough that an edit moving lists does not keep the plan
    for name in ("world/a02.md", "world/a08.md"):  # long stories: the ranking reads their opening
        story = site / "content" / name
        filler = "".join(f"\n\nThe council met again, session {k} of many, and adjourned." for k in range(80))
        story.write_text(story.read_text(encoding="utf-8") + filler, encoding="utf-8")
    time.sleep(RACY_NS / 1e9 + 0.2)
    run_build(site, search=False)
    loads: list[int] = []
    real = RankingState.from_rows

    def counted(*args: object, **kwargs: object) -> RankingState | None:
        loads.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(RankingState, "from_rows", counted)
    rewrite(site / "content/world/a02.md", "append", 1)
    result = run_build(site, search=False)
    assert was_resumed(result) and result.loaded.resumed is not None and result.loaded.resumed.ranking_trusted
    assert loads == []
    same_site(site, result, tmp_path / "fresh1")
    # A headline like another story's: its list and others move.
    story = site / "content/sport/a05.md"
    story.write_text(story.read_text(encoding="utf-8").replace('title: "Story 5"', 'title: "Story 16 harbour"'))
    result = run_build(site, search=False)
    assert was_resumed(result) and loads == [1] and result.loaded.cache.ranking_lists_moved()
    same_site(site, result, tmp_path / "fresh2")
    rewrite(site / "content/world/a08.md", "append", 2)
    result = run_build(site, search=False)
    assert was_resumed(result) and loads == [1, 1]  # the plan's lists are stale: the state is read
    same_site(site, result, tmp_path / "fresh3")


#: Sites of any size load the ranking's kept state in a helper process (see stages/rank.ranking_aside).
ASIDE = Tuning(aside_from=1)


def count_own_rankings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the resumed builds that ranked in their own process (the helper did not answer)."""
    from broadsheet.stages import resume

    calls: list[int] = []
    real = resume.ranked_lists

    def counted(*args: object, **kwargs: object) -> dict[str, tuple[str, ...]]:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(resume, "ranked_lists", counted)
    return calls


def test_edits_ranked_by_the_helper_make_the_site_a_full_build_makes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lede and headline edits, each folded into the ranking's state by the helper process that
    loaded it while the build loaded its plan: the same site, byte for byte, as a build from
    scratch; and after a build that moved lists without keeping its plan, every list comes from
    the helper."""
    site = newsroom(tmp_path / "site", 240)  # large enough that an edit moving lists does not keep the plan
    time.sleep(RACY_NS / 1e9 + 0.2)
    run_build(site, search=False, tuning=ASIDE)
    own = count_own_rankings(monkeypatch)
    edits = [("world/a02.md", "lede"), ("sport/a05.md", "headline"), ("world/a12.md", "lede"), ("sport/a07.md", "lede")]
    for k, (name, change) in enumerate(edits):
        rewrite(site / "content" / name, change, k)
        result = run_build(site, search=False, tuning=ASIDE)
        assert was_resumed(result) and result.loaded.resumed is not None and result.loaded.resumed.ranking_trusted
        same_site(site, result, tmp_path / f"fresh{k}")
    assert own == []  # every edit was ranked by the helper
    assert result.loaded.cache.ranking_lists_moved()  # (so the later edits took every list from it)


def test_a_helper_that_fails_leaves_the_ranking_to_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from broadsheet.stages import rank

    site = newsroom(tmp_path / "site")
    run_build(site, search=False, tuning=ASIDE)
    own = count_own_rankings(monkeypatch)
    builder = os.getpid()
    real = rank.update_ranking

    def failing_in_helper(*args: object, **kwargs: object) -> object:
        if os.getpid() != builder:
            raise RuntimeError("the helper fails")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(rank, "update_ranking", failing_in_helper)
    rewrite(site / "content/world/a02.md", "lede", 1)
    result = run_build(site, search=False, tuning=ASIDE)
    assert was_resumed(result) and own == [1]
    same_site(site, result, tmp_path / "fresh")


def test_the_check_starts_the_rankings_helper_as_soon_as_it_finds_an_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check before the build forks the ranking's helper when it finds a content file changed;
    the resumed build takes that helper over (it starts only the one for the output's stamps), its
    lists come from it, and the site is a full build's. A build that finds nothing changed starts none."""
    from broadsheet import parallel
    from broadsheet.stages import unchanged

    site = newsroom(tmp_path / "site", 60)
    time.sleep(RACY_NS / 1e9 + 0.2)  # (a file written within a clock tick of the build is looked at again)
    run_build(site, search=False, tuning=ASIDE)
    own = count_own_rankings(monkeypatch)
    early: list[object] = []
    started: list[object] = []
    real_ranking, real_start = unchanged.start_ranking, parallel.Aside.start

    def starting_ranking(*args: object) -> object:
        early.append(real_ranking(*args))  # type: ignore[arg-type]
        return early[-1]

    def starting(*args: object, **kwargs: object) -> object:
        started.append(args)
        return real_start(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(unchanged, "start_ranking", starting_ranking)
    monkeypatch.setattr(parallel.Aside, "start", starting)
    warm = run_build(site, search=False, tuning=ASIDE)
    assert list(warm.stages) == ["check"]  # (nothing changed: the build ended there)
    assert early == [] and started == []  # nothing changed: no helper
    rewrite(site / "content/world/a40.md", "lede", 1)
    result = run_build(site, search=False, tuning=ASIDE)
    assert was_resumed(result) and result.loaded.resumed is not None and result.loaded.resumed.ranking_trusted
    assert len(early) == 1 and early[0] is not None
    assert len(started) == 2  # the check's ranking helper, then the build's stamps helper
    assert own == []  # the lists came from the helper the check started
    same_site(site, result, tmp_path / "fresh")


def test_the_check_looks_first_at_the_story_edited_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A story edited again (a developing story) is found before the walk of the content files,
    so the ranking's helper starts at once; a story edited for the first time is found by the walk."""
    from broadsheet.stages import unchanged

    site = newsroom(tmp_path / "site", 60)
    time.sleep(RACY_NS / 1e9 + 0.2)  # (a file written within a clock tick of the build is looked at again)
    run_build(site, search=False, tuning=ASIDE)
    looked: list[int] = []
    when: list[int] = []
    real_stamp, real_ranking = unchanged.stamp_of, unchanged.start_ranking

    def stamp_counted(st: object) -> object:
        looked.append(1)
        return real_stamp(st)  # type: ignore[arg-type]

    def ranking_noted(*args: object) -> object:
        when.append(len(looked))
        return real_ranking(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(unchanged, "stamp_of", stamp_counted)
    monkeypatch.setattr(unchanged, "start_ranking", ranking_noted)
    for k in range(2):
        looked.clear()
        rewrite(site / "content/world/a40.md", "lede", k)  # (the walk reaches world/ after sport/)
        time.sleep(RACY_NS / 1e9 + 0.2)
        result = run_build(site, search=False, tuning=ASIDE)
        assert was_resumed(result)
    assert len(when) == 2 and when[0] > 20 and when[1] <= 1, when
    same_site(site, result, tmp_path / "fresh")


def test_a_resumed_build_takes_the_stamps_of_the_output_its_helper_looked_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The helper looks at each file of both output generations while the build loads its plan:
    the build itself then looks at next to none, and makes the same site."""
    import os

    site = newsroom(tmp_path / "site", 60)
    run_build(site, search=False, tuning=ASIDE)
    rewrite(site / "content/world/a02.md", "lede", 1)
    run_build(site, search=False, tuning=ASIDE)  # (the first edit after a cold build fills the other generation)
    builder, real = os.getpid(), os.stat
    looked: list[str] = []

    def counting(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if os.getpid() == builder and ".output-builds" in str(path):
            looked.append(str(path))
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", counting)
    counts = []
    for k, tuning in enumerate((Tuning(aside_from=10**9), ASIDE)):
        looked.clear()
        rewrite(site / "content/sport/a05.md", "lede", 2 + k)
        result = run_build(site, search=False, tuning=tuning)
        assert was_resumed(result)
        paths = list(looked)  # (what follows looks at files too)
        counts.append(sum(1 for path in paths if Path(path).is_file() and "journal" not in path))  # files, not folders
    pages = sum(1 for p in (site / "output").rglob("*") if p.is_file())
    assert counts[0] >= pages and counts[1] < 20, (counts, pages)  # (those of the files written now)
    monkeypatch.undo()
    same_site(site, result, tmp_path / "fresh")


def test_a_resumed_build_looks_at_each_content_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check that nothing changed looks at every content file (all of them once one differs)
    and the resumed build takes those stamps: no file is looked at twice. The edited file is the
    last one the check comes to, so it has looked at every other before it finds the change."""
    site = newsroom(tmp_path / "site")
    time.sleep(RACY_NS / 1e9 + 0.2)  # stamps old enough to trust: only the edited file is read again
    run_build(site, search=False)
    files = sorted((site / "content").rglob("*.md"))
    rewrite(files[-1], "lede", 1)
    looked = count_stats(monkeypatch)
    result = run_build(site, search=False, jobs=1)
    assert was_resumed(result)
    assert {str(p): looked.get(str(p), 0) for p in files[:-1]} == {str(p): 1 for p in files[:-1]}
    monkeypatch.undo()
    same_site(site, result, tmp_path / "fresh")


def test_a_resumed_build_reads_only_the_cache_rows_of_the_files_edited(tmp_path: Path) -> None:
    site = newsroom(tmp_path / "site")
    time.sleep(RACY_NS / 1e9 + 0.2)  # stamps old enough to trust: only the edited file is read again
    run_build(site, search=False)
    rewrite(site / "content/sport/a03.md", "lede", 1)
    result = run_build(site, search=False)
    assert was_resumed(result)
    cache = result.loaded.cache
    assert cache.rows_unread and cache.row_reads == 1 and not cache.rows
    assert set(cache.content) == {"content/sport/a03.md"}
    # A build that looks up every file (the theme changed: the plan is made anew) reads them all.
    (site / "site.yml").write_text(MINIMAL_SITE_YML + "tagline: Other news\n", encoding="utf-8")
    again = run_build(site, search=False)
    assert not was_resumed(again) and not again.loaded.cache.rows_unread
    assert again.loaded.cache.row_reads == 0 and len(again.loaded.cache.content) == 24
    same_site(site, again, tmp_path / "fresh")


def test_a_resumed_build_records_every_page_with_the_file_it_left(tmp_path: Path) -> None:
    """A resumed build updates the page store where it chose among pages and keeps every other
    record: the store still names each page of the site, with the hash of its file in the output."""
    from broadsheet.urls import output_path
    from broadsheet.write.commit import digest_bytes

    site = newsroom(tmp_path / "site")
    first = run_build(site, search=False)
    output = site / "output"
    before = dict(first.loaded.cache.page_store(output))
    for k, change in enumerate(("lede", "headline", "append", "lede")):
        rewrite(site / f"content/{SECTIONS[k % 2]}/a{10 + k:02d}.md", change, k)
        result = run_build(site, search=False)
        assert was_resumed(result)
        store = result.loaded.cache.page_store(output)
        assert set(store) == set(before)  # an edit moves no page
        for url, (_, digest) in store.items():
            assert digest == digest_bytes((output / output_path(url)).read_bytes()), url
        chosen = {f for f in store if store[f] != before[f]}
        assert 0 < len(chosen) < len(store) // 2  # the pages chosen among changed; the others are kept
        before = dict(store)


def add_topic(site: Path, topic: str, words: str) -> None:
    """Three stories about a topic whose words no other story of :func:`newsroom` uses: an edit that
    takes those words up moves related lists."""
    for k in range(3):
        body = f"The {topic} and its {words} again, report {k}."
        (site / f"content/world/{topic}{k}.md").write_text(article(f"The {topic} {k}", body=body))


def rewrite_lede_about(story: Path, words: str, k: int) -> None:
    """A lede edit (see :func:`rewrite`) that also names ``words``."""
    rewrite(story, "lede", k)
    story.write_text(story.read_text(encoding="utf-8").replace("Officials said", f"Of the {words}, officials said"))


def test_a_resumed_build_records_the_shape_a_full_plan_has_when_related_lists_move(tmp_path: Path) -> None:
    """An edit that moves a related list makes its plan's shape from the kept plan's, with the pages
    it planned again taken out and put back in: the shape recorded is the one planning the whole
    site gives, after every edit, including a story edited again to move other lists (each edit
    since the kept plan is applied to it: the last build's shape is not the one to start from)."""
    site = newsroom(tmp_path / "site", 300)  # large enough that an edit moving lists does not keep its plan
    add_topic(site, "volcano", "lava ash eruption crater")
    add_topic(site, "glacier", "ice melt iceberg fjord")
    time.sleep(RACY_NS / 1e9 + 0.2)  # stamps old enough to trust: only edited files are touched
    run_build(site, search=False)
    story = site / "content/world/a02.md"
    moved = []
    for k, words in enumerate(("volcano lava ash eruption crater", "glacier ice melt iceberg fjord", "town")):
        rewrite_lede_about(story, words, k)
        result = run_build(site, search=False)
        loaded = result.loaded
        assert loaded.resumed is not None
        moved.append(len(loaded.resumed.edit.moved))
        recorded = loaded.cache.shape_of(site / "output")
        assert recorded is not None
        assert recorded[0] == shape_key(loaded.resumed.site_key, loaded.site, plan_pages(loaded.site))
        assert recorded[1] == {a.url: a.digest for a in loaded.site.articles}
    assert all(moved), moved  # (the test is about edits that move lists)
    same_site(site, result, tmp_path / "fresh")


def test_pages_showing_only_stories_edited_in_earlier_builds_keep_their_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each build resumed from one kept plan applies every edit since again, so the pages showing a
    story edited in an earlier build are candidates again: those showing nothing edited since the
    last build keep that build's prints without being fingerprinted (the shape shortcut)."""
    site = newsroom(tmp_path / "site", 300)  # large enough that an edit does not keep its plan
    time.sleep(RACY_NS / 1e9 + 0.2)  # stamps old enough to trust: only edited files are touched
    run_build(site, search=False)
    rewrite(site / "content/world/a02.md", "updated", 1)  # (the ranking reads no time: no list moves)
    assert was_resumed(run_build(site, search=False))
    fingerprinted: list[str] = []
    real = PageFingerprints.of
    monkeypatch.setattr(PageFingerprints, "of", lambda self, job: fingerprinted.append(job.url) or real(self, job))
    rewrite(site / "content/sport/a251.md", "updated", 2)
    result = run_build(site, search=False)
    assert result.loaded.resumed is not None
    edit = result.loaded.resumed.edit
    earlier, now = "/world/story-2/", "/sport/story-251/"
    assert {earlier, now} <= set(edit.replaced)
    # The pages showing the story edited now, or a story whose view links to it, are fingerprinted.
    touched = {now} | {url for url, view in edit.plan.views.items() if links_to(view, {now})}
    only_earlier = [j.url for j in edit.plan.pages if j.url in edit.candidates and earlier in j.shows]
    only_earlier = [u for u in only_earlier if touched.isdisjoint(edit.plan.jobs[u].shows)]
    assert only_earlier  # (the test is about such pages)
    assert not set(only_earlier) & set(fingerprinted)
    assert fingerprinted  # (those showing a story linking to the one edited now)
    same_site(site, result, tmp_path / "fresh")


def test_a_card_showing_a_related_list_that_moved_since_the_kept_plan_follows_a_later_edit(tmp_path: Path) -> None:
    """A story whose related list took in an edited story (since the kept plan) links to it as the
    edit made it, not as the kept plan did: when that story is edited again, the listings whose
    cards show the list are rendered again, though they show neither story's own card changed."""
    site = newsroom(tmp_path / "site", 300)  # large enough that an edit moving lists does not keep its plan
    yml = site / "site.yml"
    yml.write_text(yml.read_text().replace("\ntheme: frontier", "") + "\ntheme: mine\n")
    (site / "themes/mine/templates").mkdir(parents=True)
    (site / "themes/mine/theme.yml").write_text("extends: frontier\n")
    (site / "themes/mine/templates/list.html").write_text(
        "{% for a in articles %}{{ a.title }}:{% for r in a.related %}{{ r.title }},{% endfor %}|{% endfor %}"
    )
    add_topic(site, "volcano", "lava ash eruption crater")
    time.sleep(RACY_NS / 1e9 + 0.2)  # stamps old enough to trust: only edited files are touched
    run_build(site, search=False)
    story = site / "content/world/a02.md"
    rewrite_lede_about(story, "volcano lava ash eruption", 1)
    result = run_build(site, search=False)
    assert result.loaded.resumed is not None
    took_in = [now.url for _, now in result.loaded.resumed.edit.moved if "/world/story-2/" in now.shows]
    assert any(url != "/world/story-2/" for url in took_in)  # (the test is about such a list)
    rewrite(story, "headline", 2)
    result = run_build(site, search=False)
    assert was_resumed(result)
    same_site(site, result, tmp_path / "fresh")
