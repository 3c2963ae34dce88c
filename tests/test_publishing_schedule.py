"""``build.py schedule``: the next moment the published site changes, for cron jobs and CI."""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import NOW, article

from broadsheet.cli import main


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(NOW.timestamp())))  # 2026-11-29T12:00Z


def run(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def test_next_embargo_or_expiry_with_its_file(make_site, capsys) -> None:
    site = make_site(
        {
            "site.yml": "title: T\nbase_url: https://x.example/\ntimezone: Europe/Paris\n",
            "content/world/later.md": article("Later story", date="2026-12-05T09:00:00"),
            "content/world/soon.md": article("Soon story", date="2026-12-01T07:30:00"),
            "content/world/ends.md": article("Ending story", date="2026-11-01", expires="2026-12-03T00:00:00"),
            "content/world/draft.md": article("Draft story", date="2026-11-30T00:00:00", draft=True),
            "content/world/never.md": article("Never seen", date="2026-12-10", expires="2026-12-09"),
            "content/world/gone.md": article("Already gone", date="2026-11-01", expires="2026-11-02"),
            "content/world/live.md": article("Live story"),
        }
    )
    code, out = run(capsys, "schedule", "--source", str(site))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Next change: 2026-12-01T07:30:00+01:00")
    assert "content/world/soon.md" in lines[0] and "Soon story" in lines[0] and "embargo lifts" in lines[0]
    assert "2026-12-03T00:00:00+01:00" in lines[1] and "content/world/ends.md" in lines[1]
    assert "expires" in lines[1]
    assert "content/world/later.md" in lines[2]
    for hidden in ("Draft story", "Never seen", "Already gone", "Live story"):
        assert hidden not in out
    code, out = run(capsys, "schedule", "--source", str(site), "--format", "iso")
    assert code == 0 and out == "2026-12-01T07:30:00+01:00\n"
    assert datetime.fromisoformat(out.strip()).utcoffset() is not None


def test_nothing_scheduled(make_site, capsys) -> None:
    site = make_site({"content/world/a.md": article("Live story")})
    code, out = run(capsys, "schedule", "--source", str(site))
    assert code == 0 and out.startswith("Nothing scheduled")
    code, out = run(capsys, "schedule", "--source", str(site), "--format", "iso")
    assert code == 0 and out == ""


def test_the_schedule_is_when_the_build_changes(make_site, capsys) -> None:
    """Building just before and just after the announced moment shows the change."""
    from conftest import run_build

    site = make_site({"content/world/soon.md": article("Soon story", date="2026-12-01T07:30:00")})
    _, out = run(capsys, "schedule", "--source", str(site), "--format", "iso")
    moment = datetime.fromisoformat(out.strip())
    run_build(site, now=moment.replace(second=0, minute=29))
    assert not (site / "output/world/soon-story/index.html").exists()
    run_build(site, now=moment)
    assert (site / "output/world/soon-story/index.html").exists()


def test_errors_in_content_fail_the_schedule(make_site, capsys) -> None:
    site = make_site({"content/world/bad.md": "---\ntitle: [unclosed\n---\n"})
    assert main(["schedule", "--source", str(site)]) == 1
    assert "content/world/bad.md" in capsys.readouterr().err
