"""Responsive pictures: each raster picture of the site's ``static/`` in a few widths, as WebP
(and AVIF where the installed Pillow can write it), with thumbnails cropped to the cards' shape.

Planning (:func:`plan_pictures`) is cheap and runs in every build: it finds the pictures, their
content hashes (remembered by size and time in the cache folder) and their sizes once turned
upright (EXIF orientation), and names every variant. Templates read the plan (``picture(url)``)
to write ``srcset``. Making the variants (:func:`make_pictures`) runs in worker processes, only
for pictures whose variants are not in the cache folder yet: a warm build makes none. Variants
are named by a hash of the picture's bytes and of the recipe, so they are made again only when
either changes, and a browser never keeps a stale one.

Without Pillow (the ``images`` extra) the plan is empty: pages show the original pictures.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from html import escape, unescape
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import BuildWarning
from ..outputs import OutputFile

#: Where the variants are published, under the output folder: ``/_pictures/<key>/<name>``.
PICTURE_DIR = "_pictures"
#: Folder of the made variants inside the build cache (``.broadsheet-cache/``).
CACHE_SUBDIR = "pictures"
#: Widths of the whole picture (article heroes, pictures in bodies); the picture's own width too
#: when it is narrower than the largest.
WIDTHS = (320, 480, 640, 960, 1280, 1600)
#: Widths of the thumbnails cropped to the cards' shape (a 7.5rem row up to a lead story).
CARD_WIDTHS = (160, 320, 480, 640, 960)
#: The cards' shape (the theme's ``.card-media { aspect-ratio: 16 / 9 }``).
CARD_RATIO = (16, 9)
#: Pictures made into variants; GIF (animation) and SVG (any width already) stay as they are.
RASTER_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
#: Encoder settings: part of every variant's name, so a change makes them again.
QUALITY = {"webp": 72, "avif": 50}
RECIPE = f"1|{WIDTHS}|{CARD_WIDTHS}|{CARD_RATIO}|{sorted(QUALITY.items())}"
#: The file remembering each picture's hash and upright size by its size and time.
INDEX_FILE = "index.json"
#: The file remembering which of the formats the installed Pillow writes (see known_formats).
FORMATS_FILE = "formats.json"


@dataclass(frozen=True, slots=True)
class Variant:
    """One file made from a picture: its width and height, format and whether it is a card crop."""

    name: str
    width: int
    height: int
    fmt: str
    crop: bool


@dataclass(frozen=True, slots=True)
class Picture:
    """A picture of the site with its planned variants (see :func:`plan_pictures`)."""

    url: str
    """The original's site URL (``/images/a.jpg``): the ``src`` every browser can fall back to."""
    path: Path
    key: str
    """Hash of the picture's bytes and the recipe: the variants' folder."""
    width: int
    height: int
    """The size once turned upright (EXIF orientation applied)."""
    orientation: int
    variants: tuple[Variant, ...]

    @property
    def folder(self) -> str:
        """The variants' folder under the output, as a site URL prefix."""
        return f"/{PICTURE_DIR}/{self.key}/"

    def srcset(self, fmt: str, crop: bool = False, base: str = "/") -> str:
        """``srcset`` of the variants in ``fmt`` (whole or cropped), narrowest first; empty when none.

        ``base``: the site's base path (``/news/`` for a site published under it).
        """
        folder = base.rstrip("/") + self.folder
        return ", ".join(f"{folder}{v.name} {v.width}w" for v in self.variants if v.fmt == fmt and v.crop == crop)

    @property
    def formats(self) -> tuple[str, ...]:
        """The variants' formats, best compression first (AVIF, then WebP)."""
        return tuple(f for f in ("avif", "webp") if any(v.fmt == f for v in self.variants))

    def crop_size(self) -> tuple[int, int]:
        """Width and height of the largest card crop (for the ``<img>`` of a card)."""
        crops = [v for v in self.variants if v.crop]
        best = max(crops, key=lambda v: v.width) if crops else None
        return (best.width, best.height) if best else (self.width, self.height)


def pillow_formats() -> tuple[str, ...]:
    """The formats the installed Pillow writes, of AVIF and WebP; empty without Pillow."""
    try:
        from PIL import features
    except ImportError:
        return ()
    return tuple(f for f in ("avif", "webp") if features.check(f))


def known_formats(cache_dir: Path | None) -> tuple[str, ...]:
    """:func:`pillow_formats`, remembered in the cache's pictures folder for the installed Pillow
    (its version, and the place, size and time of its compiled modules). Asking Pillow loads its
    codecs: 25 ms of every build, which otherwise needs nothing of Pillow's once the variants are made."""
    key = _pillow_key()
    path = cache_dir / FORMATS_FILE if cache_dir is not None and key is not None else None
    if path is not None:
        try:
            known = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            known = None
        if isinstance(known, dict) and known.get("pillow") == key:
            formats = known.get("formats")
            if isinstance(formats, list) and all(f in QUALITY for f in formats):
                return tuple(formats)
    formats = pillow_formats()
    if path is not None:
        with suppress(OSError):  # (asked again next time)
            _save_json(path, {"pillow": key, "formats": list(formats)})
    return formats


def _save_json(path: Path, data: object) -> None:
    """Write a small JSON file of the cache whole: to a temporary name, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def _pillow_key() -> str | None:
    """What names the installed Pillow, without loading its codecs; None without Pillow."""
    try:
        import PIL  # (its package alone: a version, no codec)

        parts = [str(getattr(PIL, "__version__", ""))]
        for name in ("_imaging", "_webp", "_avif"):
            spec = importlib.util.find_spec(f"PIL.{name}")
            if spec is None or not spec.origin:
                parts.append(f"{name}:none")
            else:
                st = os.stat(spec.origin)
                parts.append(f"{spec.origin}:{st.st_size}:{st.st_mtime_ns}")
    except (ImportError, ValueError, OSError):
        return None
    return "|".join(parts)


def plan_variants(width: int, height: int, stem: str, formats: Sequence[str]) -> tuple[Variant, ...]:
    """Every variant of a ``width`` × ``height`` picture: whole at each width up to its own, cropped
    to the cards' shape at each card width the picture can fill, in each format."""
    out: list[Variant] = []
    whole = [w for w in WIDTHS if w < width] + ([width] if width <= WIDTHS[-1] else [])
    rw, rh = CARD_RATIO
    crop_w_max = min(width, height * rw // rh)  # the widest 16:9 box inside the picture
    crops = [w for w in CARD_WIDTHS if w < crop_w_max] + ([crop_w_max] if crop_w_max <= CARD_WIDTHS[-1] else [])
    for fmt in formats:
        for w in whole:
            out.append(Variant(f"{stem}-{w}.{fmt}", w, max(1, round(height * w / width)), fmt, False))
        for w in crops:
            out.append(Variant(f"{stem}-card-{w}.{fmt}", w, max(1, round(w * rh / rw)), fmt, True))
    return tuple(out)


def _safe_stem(path: Path) -> str:
    stem = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in path.stem).strip("-")
    return stem[:60] or "picture"


def _file_digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _upright_size(path: Path) -> tuple[int, int, int] | None:
    """Width, height once turned upright, and the EXIF orientation; None when Pillow cannot read it."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            w, h = im.size
            orientation = int(im.getexif().get(0x0112, 1) or 1)
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
        return None
    if orientation in (5, 6, 7, 8):  # a quarter turn: width and height swap
        w, h = h, w
    return w, h, orientation


def plan_pictures(
    site_root: Path, static: Iterable[tuple[str, Path]], cache_dir: Path | None, formats: Sequence[str] | None = None
) -> dict[str, Picture]:
    """Plan the variants of every raster picture among the site's static files (URL path, file).

    ``cache_dir``: the cache's pictures folder, holding the index of hashes (by size and time), so a
    warm build reads no picture whole. Pictures Pillow cannot read are left out (shown as they are).
    """
    formats = known_formats(cache_dir) if formats is None else tuple(formats)
    if not formats:
        return {}
    index_path = cache_dir / INDEX_FILE if cache_dir is not None else None
    index: dict[str, list[object]] = {}
    if index_path is not None:
        try:
            index = json.loads(index_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            index = {}
    fresh: dict[str, list[object]] = {}
    plan: dict[str, Picture] = {}
    for rel, path in static:
        if not rel.lower().endswith(RASTER_SUFFIXES):
            continue
        try:
            st = path.stat()
        except OSError:
            continue
        stamp = [st.st_size, st.st_mtime_ns]
        known = index.get(rel)
        if isinstance(known, list) and len(known) == 6 and known[:2] == stamp:
            digest, w, h, orientation = known[2], known[3], known[4], known[5]
        else:
            size = _upright_size(path)
            if size is None:
                continue
            w, h, orientation = size
            digest = _file_digest(path)
        fresh[rel] = [*stamp, digest, w, h, orientation]
        assert isinstance(digest, str) and isinstance(w, int) and isinstance(h, int) and isinstance(orientation, int)
        key = hashlib.blake2b(f"{digest}|{RECIPE}|{','.join(formats)}".encode(), digest_size=8).hexdigest()
        url = "/" + rel
        plan[url] = Picture(url, path, key, w, h, orientation, plan_variants(w, h, _safe_stem(path), formats))
    if index_path is not None and fresh != index:
        _save_json(index_path, fresh)
    return plan


def make_variants(picture: Picture, folder: Path) -> str | None:
    """Write every variant of ``picture`` into ``folder`` (runs in a worker); return an error or None.

    The picture is turned upright (EXIF orientation), resized with Lanczos, cropped around its
    centre for cards. Each file is written under a temporary name and renamed, so a build that is
    stopped never leaves half a variant that a later build would take as made.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(picture.path) as opened:
            widest = max((v.width for v in picture.variants), default=picture.width)
            if opened.format == "JPEG" and widest * 2 <= picture.width:
                # Decode at a reduced scale (a power of two JPEG allows) no smaller than the widest variant.
                scale = widest / picture.width
                raw_w, raw_h = opened.size
                opened.draft("RGB", (max(1, int(raw_w * scale) + 1), max(1, int(raw_h * scale) + 1)))
            im = ImageOps.exif_transpose(opened)
            im.load()
    except (
        OSError,
        UnidentifiedImageError,
        ValueError,
        SyntaxError,
        ArithmeticError,
        MemoryError,
        Image.DecompressionBombError,
    ) as exc:
        return f"cannot read the picture: {exc}"
    has_alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
    im = im.convert("RGBA" if has_alpha else "RGB")
    folder.mkdir(parents=True, exist_ok=True)
    # Each size is made once for all its formats (AVIF and WebP): resizing is a third of the work.
    sized: dict[tuple[int, int, bool], Image.Image] = {}
    for v in picture.variants:
        target = folder / v.name
        if target.is_file():
            continue
        out = sized.get((v.width, v.height, v.crop))
        if out is None:
            if v.crop:
                out = ImageOps.fit(im, (v.width, v.height), Image.Resampling.LANCZOS, centering=(0.5, 0.5))
            else:
                out = im.resize((v.width, v.height), Image.Resampling.LANCZOS) if v.width != im.width else im
            sized[v.width, v.height, v.crop] = out
        fd, tmp = tempfile.mkstemp(prefix=".part-", dir=folder)
        os.close(fd)
        try:
            if v.fmt == "avif":
                out.save(tmp, "AVIF", quality=QUALITY["avif"], speed=8)
            else:
                out.save(tmp, "WEBP", quality=QUALITY["webp"], method=4)
            os.replace(tmp, target)
        except (OSError, ValueError, ArithmeticError, MemoryError) as exc:
            Path(tmp).unlink(missing_ok=True)
            return f"cannot write {v.name}: {exc}"
    return None


def _make_one(item: tuple[Picture, Path]) -> str | None:
    return make_variants(*item)


def _made_as(picture: Picture) -> tuple[str, tuple[str, ...]]:
    """What making a picture's variants writes: its folder (by content) and its variants' names."""
    return picture.key, tuple(v.name for v in picture.variants)


def is_made(picture: Picture, folder: Path) -> bool:
    """Whether every variant of ``picture`` is in ``folder``."""
    return all((folder / v.name).is_file() for v in picture.variants)


@dataclass(slots=True)
class PictureOutcome:
    """What making the pictures gave: the variants as output files, how many pictures were
    processed (not found whole in the cache) and a warning per picture that failed."""

    files: list[OutputFile]
    processed: int
    warnings: list[BuildWarning]


def make_pictures(
    plan: Mapping[str, Picture],
    cache_dir: Path | None,
    jobs: int | None = None,
    scratch: Path | None = None,
    reuse: Path | None = None,
) -> PictureOutcome:
    """Make the variants still missing from ``cache_dir`` (in parallel); return them all as output files.

    Without a cache folder they are made in ``scratch`` (when None, a private temporary folder that
    lasts as long as this process, so the builds of one process, such as a test run's, make each
    picture once); a picture whose variants are all in ``reuse`` (a build's cache, read only: the
    live preview's) is taken from there instead.

    Pictures with the same bytes (one photo copied beside several articles) have the same key:
    their variants are made once; copies with the same file name too have the same variants' paths,
    written once.
    """
    if not plan:
        return PictureOutcome([], 0, [])
    made_in = cache_dir if cache_dir is not None else (scratch or process_scratch())
    folder_of: dict[str, Path] = {}
    for p in plan.values():
        if p.key not in folder_of:
            kept = reuse / p.key if reuse is not None else None
            folder_of[p.key] = kept if kept is not None and is_made(p, kept) else made_in / p.key
    todo: list[tuple[Picture, Path]] = []
    queued: set[tuple[str, tuple[str, ...]]] = set()
    for p in plan.values():
        if _made_as(p) not in queued and not is_made(p, folder_of[p.key]):
            queued.add(_made_as(p))
            todo.append((p, folder_of[p.key]))
    workers = min(len(todo), jobs or os.cpu_count() or 1)
    if workers <= 1:
        errors = [_make_one(item) for item in todo]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            errors = list(pool.map(_make_one, todo))
    error_of = {_made_as(p): err for (p, _), err in zip(todo, errors, strict=True) if err is not None}
    warnings: list[BuildWarning] = []
    failed: set[str] = set()
    for p in plan.values():  # every copy of a picture that could not be made is shown as it is
        if (err := error_of.get(_made_as(p))) is not None:
            failed.add(p.url)
            warnings.append(BuildWarning(err, f"static{p.url}", None, "save the picture again as JPEG, PNG or WebP"))
    files: list[OutputFile] = []
    written: set[str] = set()
    for p in plan.values():
        if p.url in failed:
            continue
        for v in p.variants:
            path = f"{PICTURE_DIR}/{p.key}/{v.name}"
            if path not in written:  # a copy of a picture already listed: the same variants
                written.add(path)
                files.append(OutputFile(path, f"picture of static{p.url}", copy_from=folder_of[p.key] / v.name))
    return PictureOutcome(files, len(todo), warnings)


_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_PICTURE = re.compile(r"<picture\b.*?</picture>", re.IGNORECASE | re.DOTALL)
_ATTR = re.compile(r"""\s([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


def responsive_body(html: str, plan: Mapping[str, Picture], sizes: str, base: str = "/") -> str:
    """Give every ``<img>`` of a body whose picture has variants a ``<picture>`` with AVIF and WebP
    sources (``srcset``/``sizes``), its width and height, and lazy loading; the original stays the
    ``src``. Images already inside a ``<picture>``, external ones and unknown files are left alone.

    ``base``: the site's base path (``/news/``). A body's links are already under it, so a
    picture is found by its path with the base taken off, and its variants are named under it.
    """
    if not plan or "<img" not in html.lower():
        return html
    kept = [(m.start(), m.end()) for m in _PICTURE.finditer(html)]

    def rewrite(match: re.Match[str]) -> str:
        tag = match.group(0)
        if any(a <= match.start() < b for a, b in kept):
            return tag
        attrs = {m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or "" for m in _ATTR.finditer(tag)}
        path = unescape(unquote(urlsplit(attrs.get("src", "")).path))
        if base != "/" and path.startswith(base):
            path = "/" + path[len(base) :]
        picture = plan.get(path) if attrs.get("src") else None
        if picture is None or urlsplit(attrs["src"]).netloc or not picture.formats:
            return tag
        extra = ""
        if "width" not in attrs and "height" not in attrs:
            extra += f' width="{picture.width}" height="{picture.height}"'
        if "loading" not in attrs:
            extra += ' loading="lazy"'
        if "decoding" not in attrs:
            extra += ' decoding="async"'
        img = tag[:-2].rstrip() + extra + " />" if tag.endswith("/>") else tag[:-1] + extra + ">"
        sources = "".join(
            f'<source type="image/{fmt}" srcset="{escape(picture.srcset(fmt, base=base))}" sizes="{escape(sizes)}">'
            for fmt in picture.formats
        )
        return f"<picture>{sources}{img}</picture>"

    return _IMG.sub(rewrite, html)


_SCRATCH: list[tempfile.TemporaryDirectory[str]] = []


def process_scratch() -> Path:
    """A private temporary folder for this process's variants, removed when the process ends."""
    if not _SCRATCH:
        _SCRATCH.append(tempfile.TemporaryDirectory(prefix="broadsheet-pictures-"))
    return Path(_SCRATCH[0].name)


@lru_cache(maxsize=1)
def available() -> bool:
    """Whether responsive pictures can be made here (Pillow installed with WebP)."""
    return bool(pillow_formats())
