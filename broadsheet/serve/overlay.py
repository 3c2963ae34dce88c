"""The error view: what every page of the preview shows while the site does not build."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ..errors import BroadsheetError

STYLE = """
body{margin:0;font:16px/1.5 system-ui,sans-serif;background:#1d1f21;color:#eee}
main{max-width:60rem;margin:0 auto;padding:2rem}
h1{color:#ff8a80;font-size:1.6rem;margin:0 0 1rem}
ol{padding-left:1.4rem}li{margin:0 0 1rem}
code.where{display:block;color:#ffd180;font:15px/1.4 ui-monospace,monospace}
.hint{color:#b0bec5}p.note{color:#90a4ae;font-size:.9rem}
"""


def error_page(errors: Sequence[BroadsheetError], site_title: str) -> bytes:
    """Render the list of problems as a page; it has a </head> so live reload can be injected."""
    items = []
    for err in errors:
        where = f'<code class="where">{escape(err.location())}</code>' if err.location() else ""
        hint = f'<div class="hint">Hint: {escape(err.hint)}</div>' if err.hint else ""
        items.append(f'<li>{where}<div class="message">{escape(err.message)}</div>{hint}</li>')
    count = f"{len(errors)} problem{'s' if len(errors) != 1 else ''}"
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Build failed – {escape(site_title)}</title>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<style>{STYLE}</style>\n</head>\n<body>\n<main role="alert">\n'
        f'<h1>The site does not build: {count}</h1>\n<ol class="errors">\n' + "\n".join(items) + "\n</ol>\n"
        '<p class="note">Fix the file and save: this page reloads by itself. '
        "The last good pages come back as soon as the site builds again.</p>\n"
        "</main>\n</body>\n</html>\n"
    ).encode("utf-8")
