"""Responsive pictures: variants made with Pillow, named in srcset, upright, cropped, cached."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, features

from broadsheet.publish.pictures import PICTURE_DIR, pillow_formats, plan_variants
from tests.conftest import article, read, run_build


def jpeg(size: tuple[int, int], orientation: int | None = None, color: tuple[int, int, int] = (30, 90, 160)) -> bytes:
    """A JPEG with a gradient (so sizes differ by width), optionally with an EXIF orientation."""
    im = Image.linear_gradient("L").resize(size).convert("RGB")
    im.paste(color, (0, 0, size[0] // 3, size[1] // 3))
    buffer = io.BytesIO()
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        im.save(buffer, "JPEG", quality=90, exif=exif)
    else:
        im.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def story(image: str | None = "/images/flood.jpg", body: str = "Body text here.", **fields: object) -> str:
    extra = {"image": image, "image_alt": "Water in the street"} if image else {}
    return article("Flood", category="World", body=body, **extra, **fields)


def variants_in(html: str) -> list[str]:
    return re.findall(rf"/{PICTURE_DIR}/[0-9a-f]+/[^ \"]+", html)


def test_front_matter_and_body_pictures_get_sources_in_several_widths(make_site: Callable[..., Path]) -> None:
    site = make_site(
        {
            "static/images/flood.jpg": jpeg((1200, 675)),
            "static/images/map.jpg": jpeg((800, 600)),
            "content/world/flood.md": story(body="Text.\n\n![A map of the valley](/images/map.jpg)\n\nMore."),
        }
    )
    run_build(site)
    page = read(site, "world/flood/index.html")
    hero = page[page.index('<figure class="story-image"') :]
    hero = hero[: hero.index("</figure>")]
    assert '<source type="image/webp"' in hero
    assert 'src="/images/flood.jpg"' in hero  # the original stays the fallback
    assert 'width="1200" height="675"' in hero
    widths = sorted(int(w) for w in re.findall(r"flood-(\d+)\.webp (\d+)w", hero) for w in w[:1])
    assert widths == [320, 480, 640, 960, 1200]
    assert 'sizes="(min-width: 48rem) 46rem, 100vw"' in hero
    # The body's picture: wrapped in <picture>, given its size and lazy loading.
    body = page[page.index('class="story-body') :]
    assert re.search(r"<picture>(<source [^>]*>)*<source type=\"image/webp\" srcset=\"[^\"]*map-320\.webp 320w", body)
    img = r'<img alt="A map of the valley" src="/images/map.jpg" width="800" height="600" loading="lazy"'
    assert re.search(img, body)
    for url in variants_in(page):
        assert (site / "output" / url.lstrip("/")).is_file(), url
    with Image.open(site / "output" / variants_in(hero)[0].lstrip("/")) as first:
        assert first.format in ("AVIF", "WEBP")


def test_cards_use_thumbnails_cropped_to_the_cards_shape(make_site: Callable[..., Path]) -> None:
    site = make_site({"static/images/flood.jpg": jpeg((800, 600)), "content/world/flood.md": story()})
    run_build(site)
    home = read(site, "index.html")
    card = home[home.index('<article class="card') :]
    card = card[: card.index("</article>")]
    crops = re.findall(rf"/{PICTURE_DIR}/[0-9a-f]+/flood-card-(\d+)\.webp", card)
    assert crops == ["160", "320", "480", "640", "800"]  # up to the widest 16:9 box inside 800 × 600
    for w in crops:
        path = next((site / "output" / PICTURE_DIR).glob(f"*/flood-card-{w}.webp"))
        with Image.open(path) as im:
            assert im.size == (int(w), round(int(w) * 9 / 16))  # 4:3 cropped to 16:9
    assert 'width="800" height="450"' in card


def test_exif_orientation_is_honoured(make_site: Callable[..., Path]) -> None:
    # Stored 400 × 200 with "rotate 90°": seen upright as 200 × 400.
    site = make_site({"static/images/flood.jpg": jpeg((400, 200), orientation=6), "content/world/flood.md": story()})
    run_build(site)
    page = read(site, "world/flood/index.html")
    assert 'width="200" height="400"' in page
    path = next((site / "output" / PICTURE_DIR).glob("*/flood-200.webp"))
    with Image.open(path) as im:
        assert im.size == (200, 400)
        assert im.getexif().get(0x0112) in (None, 1)


def test_a_warm_build_processes_only_new_pictures(make_site: Callable[..., Path]) -> None:
    site = make_site({"static/images/flood.jpg": jpeg((640, 360)), "content/world/flood.md": story()})
    assert run_build(site).pictures_processed == 1
    assert run_build(site).pictures_processed == 0
    (site / "static/images/map.jpg").write_bytes(jpeg((500, 400)))
    (site / "static/images/flood.jpg").write_bytes(jpeg((640, 360), color=(200, 10, 10)))  # changed: made again
    third = run_build(site)
    assert third.pictures_processed == 2
    assert run_build(site).pictures_processed == 0
    # The variants live beside the build cache, never in the site's deployable folders.
    assert list((site / ".broadsheet-cache" / "pictures").glob("*/flood-640.webp"))
    assert not list((site / "static").rglob("*.webp"))


def test_without_the_cache_nothing_is_written_in_the_site(make_site: Callable[..., Path], tmp_path: Path) -> None:
    site = make_site({"static/images/flood.jpg": jpeg((640, 360)), "content/world/flood.md": story()})
    run_build(site, cache=False, output=tmp_path / "out")
    assert not (site / ".broadsheet-cache").exists()
    assert list((tmp_path / "out" / PICTURE_DIR).glob("*/flood-320.webp"))


def test_pictures_made_in_parallel_equal_those_made_in_one_process(
    make_site: Callable[..., Path], tmp_path: Path
) -> None:
    files = {f"static/images/p{i}.jpg": jpeg((700 + 10 * i, 400), color=(i * 20, 40, 90)) for i in range(5)}
    files["content/world/flood.md"] = story("/images/p0.jpg")
    one = make_site(files, name="one")
    many = make_site(files, name="many")
    assert run_build(one, jobs=1).pictures_processed == 5
    assert run_build(many, jobs=2).pictures_processed == 5
    made_one = {p.relative_to(one / "output"): p.read_bytes() for p in (one / "output" / PICTURE_DIR).rglob("*.*")}
    made_many = {p.relative_to(many / "output"): p.read_bytes() for p in (many / "output" / PICTURE_DIR).rglob("*.*")}
    assert made_one == made_many and len(made_one) > 5 * 8


def test_external_svg_and_unreadable_pictures_stay_plain(make_site: Callable[..., Path]) -> None:
    site = make_site(
        {
            "static/images/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>',
            "static/images/broken.jpg": b"not a picture at all",
            "content/world/a.md": article("A", body="![x](/images/logo.svg) ![y](/images/broken.jpg)"),
            "content/world/b.md": story("https://cdn.example.org/x.jpg"),
        }
    )
    result = run_build(site)
    assert result.pictures_processed == 0
    assert "<picture" not in read(site, "world/a/index.html")
    assert "<picture" not in read(site, "world/flood/index.html")
    assert not (site / "output" / PICTURE_DIR).exists()


def test_avif_is_offered_first_where_pillow_writes_it(make_site: Callable[..., Path]) -> None:
    site = make_site({"static/images/flood.jpg": jpeg((640, 360)), "content/world/flood.md": story()})
    run_build(site)
    page = read(site, "world/flood/index.html")
    if features.check("avif"):
        assert page.index('type="image/avif"') < page.index('type="image/webp"')
        assert list((site / "output" / PICTURE_DIR).glob("*/flood-320.avif"))
    else:
        assert 'type="image/avif"' not in page


def test_without_pillow_pages_show_the_originals(
    make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from broadsheet.publish import pictures

    monkeypatch.setattr(pictures, "pillow_formats", lambda: ())
    site = make_site({"static/images/flood.jpg": jpeg((640, 360)), "content/world/flood.md": story()})
    assert run_build(site).pictures_processed == 0
    page = read(site, "world/flood/index.html")
    assert "<picture" not in page and 'src="/images/flood.jpg"' in page


@pytest.mark.parametrize(("size", "whole", "crops"), [((1200, 675), 5, 5), ((300, 300), 1, 2), ((2400, 1000), 6, 5)])
def test_planned_widths(size: tuple[int, int], whole: int, crops: int) -> None:
    planned = plan_variants(*size, "x", ("webp",))
    assert sum(not v.crop for v in planned) == whole
    assert sum(v.crop for v in planned) == crops
    assert all(v.width <= size[0] for v in planned)
    assert pillow_formats()  # the test extra installs Pillow with WebP


def test_the_preview_serves_the_variants_its_pages_name(make_site: Callable[..., Path]) -> None:
    from serve_helpers import get, running

    site = make_site({"static/images/flood.jpg": jpeg((800, 600)), "content/world/flood.md": story()})
    with running(site) as session:
        status, _, page = get(session, "/world/flood/")
        assert status == 200
        names = variants_in(page.decode("utf-8"))
        assert names, "the story's picture has no variants"
        for name in sorted(set(names)):
            status, headers, data = get(session, name)
            assert status == 200 and data, name
            assert headers["content-type"].startswith("image/"), name


def test_body_pictures_of_a_site_under_a_sub_path_get_sources_under_it(make_site: Callable[..., Path]) -> None:
    from tests.conftest import MINIMAL_SITE_YML

    site = make_site(
        {
            "site.yml": MINIMAL_SITE_YML.replace(
                "base_url: https://news.example.org/", "base_url: https://example.org/news/"
            ),
            "static/images/map.jpg": jpeg((800, 600)),
            "content/world/flood.md": story(image=None, body="Text.\n\n![A map of the valley](/images/map.jpg)\n"),
        }
    )
    run_build(site)
    body = read(site, "world/flood/index.html")
    body = body[body.index('class="story-body') :]
    assert re.search(r'<picture><source type="image/[a-z]+" srcset="/news/_pictures/[0-9a-f]+/map-320\.', body), body
    assert re.search(r'<img alt="A map of the valley" src="/news/images/map.jpg" width="800" height="600"', body)
    named = re.findall(rf"/news/({PICTURE_DIR}/[0-9a-f]+/[^ \"]+)", body)
    assert named and all((site / "output" / rel).is_file() for rel in named), named


def test_copies_of_one_picture_beside_several_articles_build(make_site: Callable[..., Path]) -> None:
    """An archive keeps a copy of the same photo beside each article that shows it (a Hugo page
    bundle): same bytes and file name give the same variants' paths, made and written once."""
    photo = jpeg((640, 360))
    site = make_site(
        {
            "static/media/a/team.jpg": photo,
            "static/media/b/team.jpg": photo,
            "static/media/c/crew.jpg": photo,  # same bytes, another name: variants of its own name
            "content/world/flood.md": story("/media/a/team.jpg"),
            "content/world/storm.md": article("Storm", category="World", image="/media/b/team.jpg", image_alt="x"),
            "content/world/rain.md": article("Rain", category="World", image="/media/c/crew.jpg", image_alt="x"),
        }
    )
    result = run_build(site)
    assert result.pictures_processed == 2  # team.jpg once, crew.jpg once
    flood, storm = read(site, "world/flood/index.html"), read(site, "world/storm/index.html")
    team = [n for n in variants_in(flood) if "/team-" in n]
    assert team and set(team) == {n for n in variants_in(storm) if "/team-" in n}
    crew = [n for n in variants_in(read(site, "world/rain/index.html")) if "/crew-" in n]
    assert crew
    for name in team + crew:
        assert (site / "output" / name.lstrip("/")).is_file(), name


def test_the_preview_takes_the_variants_a_build_made(make_site: Callable[..., Path]) -> None:
    """A large archive's photos take minutes to make: the preview reads those a build made from the
    build's cache (and writes nothing there)."""
    from serve_helpers import get, running

    site = make_site({"static/images/flood.jpg": jpeg((800, 600)), "content/world/flood.md": story()})
    run_build(site)
    cache = site / ".broadsheet-cache" / "pictures"
    before = {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()}
    marked = next(p for p in before if p.name == "flood-320.webp")
    marked.write_bytes(marked.read_bytes() + b"\0mark")  # tells the build's copy from a fresh one
    with running(site) as session:
        status, _, page = get(session, "/world/flood/")
        assert status == 200
        name = next(n for n in variants_in(page.decode("utf-8")) if n.endswith("/flood-320.webp"))
        status, _, data = get(session, name)
        assert status == 200 and data.endswith(b"\0mark")
    assert {p for p in cache.rglob("*") if p.is_file()} == set(before)


def test_the_formats_pillow_writes_are_asked_once_for_an_installed_pillow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from broadsheet.publish import pictures

    asked: list[int] = []
    monkeypatch.setattr(pictures, "pillow_formats", lambda: asked.append(1) or ("webp",))
    assert pictures.known_formats(tmp_path) == ("webp",)
    assert pictures.known_formats(tmp_path) == ("webp",)
    assert len(asked) == 1  # remembered for this Pillow
    monkeypatch.setattr(pictures, "_pillow_key", lambda: "another Pillow")
    assert pictures.known_formats(tmp_path) == ("webp",) and len(asked) == 2  # asked again
    (tmp_path / pictures.FORMATS_FILE).write_text("{damaged", encoding="utf-8")
    assert pictures.known_formats(tmp_path) == ("webp",) and len(asked) == 3
    monkeypatch.setattr(pictures, "_pillow_key", lambda: None)  # no Pillow: nothing to remember
    assert pictures.known_formats(tmp_path) == ("webp",) and len(asked) == 4
    assert pictures.known_formats(None) == ("webp",) and len(asked) == 5
