"""How many bytes of pictures a page transfers in Chromium, at a phone's width.

Builds the example site (or --source DIR) into a temporary folder, serves it over HTTP on
loopback, opens the page in Debian's Chromium through Playwright at each width and device pixel
ratio asked, scrolls to the bottom so that every lazy picture loads, and prints the sum of the
image responses' sizes, with the same page built without responsive variants beside it.

    python bench/pictures_bench.py                       # home page, 375 px, ratios 1, 2 and 3
    python bench/pictures_bench.py --path /local/... --widths 375,1440 --ratios 1,2
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from broadsheet.pipeline import BuildOptions, build  # noqa: E402
from broadsheet.publish import pictures  # noqa: E402
from tests.browser.chromium import CHROMIUM, chromium_executable, launch  # noqa: E402


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def served(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on a free loopback port; yield its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def image_bytes(browser: Any, url: str, width: int, ratio: float) -> tuple[int, int]:
    """Open ``url`` at ``width`` CSS pixels and device pixel ratio ``ratio``, scroll to the end;
    return (bytes of image responses, number of images)."""
    context = browser.new_context(viewport={"width": width, "height": 812}, device_scale_factor=ratio)
    page = context.new_page()
    seen: dict[str, int] = {}

    def on_response(response: Any) -> None:
        if response.request.resource_type == "image" and response.status == 200:
            seen[response.url] = len(response.body())

    page.on("response", on_response)
    page.goto(url, wait_until="load")
    height = page.evaluate("document.documentElement.scrollHeight")
    for y in range(0, height + 812, 400):  # lazy pictures load as they come near the screen
        page.evaluate(f"window.scrollTo(0, {y})")
        page.wait_for_timeout(60)
    page.wait_for_load_state("networkidle")
    context.close()
    return sum(seen.values()), len(seen)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(REPO))
    parser.add_argument("--path", default="/")
    parser.add_argument("--widths", default="375")
    parser.add_argument("--ratios", default="1,2,3")
    parser.add_argument("--chromium", default=chromium_executable() or str(CHROMIUM))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="pictures-bench-") as temp:
        with_pictures, originals = Path(temp) / "responsive", Path(temp) / "originals"
        build(BuildOptions(source=Path(args.source), output=with_pictures, cache=False, search=False))
        formats = pictures.pillow_formats
        pictures.pillow_formats = lambda: ()  # type: ignore[assignment]  # the site as it was without variants
        try:
            build(BuildOptions(source=Path(args.source), output=originals, cache=False, search=False))
        finally:
            pictures.pillow_formats = formats  # type: ignore[assignment]
        print(f"page {args.path}: bytes of images transferred in Chromium (every lazy picture scrolled into view)")
        print(f"{'width':>6} {'ratio':>5} {'responsive':>12} {'images':>6} {'originals':>12} {'images':>6}")
        with sync_playwright() as p, served(with_pictures) as new_base, served(originals) as old_base:
            browser = launch(p, args.chromium)
            for width in (int(w) for w in args.widths.split(",")):
                for ratio in (float(r) for r in args.ratios.split(",")):
                    new, new_count = image_bytes(browser, new_base + args.path, width, ratio)
                    old, old_count = image_bytes(browser, old_base + args.path, width, ratio)
                    row = f"{width:>6} {ratio:>5g} {new / 1024:>9.1f} KB {new_count:>6}"
                    print(f"{row} {old / 1024:>9.1f} KB {old_count:>6}")
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
