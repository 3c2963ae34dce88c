"""Content files parsed and converted: what the *load* stage's workers run (and the preview, a file at a time)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from ..errors import BroadsheetError, BuildWarning, ContentError
from .discover import SourceFile
from .frontmatter import Document, parse_document
from .lint import body_warnings
from .markdown import MarkdownError, Rendered, render_markdown

ParseOutcome = tuple[Document | None, Rendered | None, list[BroadsheetError], list[BuildWarning]]


def parse_sources(work: Sequence[tuple[SourceFile, str, bytes | None]], pack: bool = False) -> list[ParseOutcome]:
    """Parse and convert a chunk of content files (runs in a worker process).

    The documents come back without their Markdown body (``body`` is empty): once converted, the
    stages after this one read the rendered result, and the body would double what crosses
    from the workers and what a large site holds in memory. ``pack``: the rendered bodies come
    back packed (see body.Body.pack), as a build parsing the whole site holds them.
    """
    out: list[ParseOutcome] = []
    for source, tz_name, raw in work:
        doc, errs, warns = parse_document(source, ZoneInfo(tz_name), raw)
        rendered = None
        if doc is not None:
            try:
                rendered = render_markdown(doc.body)
                warns = [*warns, *body_warnings(doc.body, source.rel, doc.body_line)]
                doc = dataclasses.replace(doc, body="")
                if pack:
                    rendered.body.pack()
            except MarkdownError as exc:
                # Lines count within the body; the document knows where its body starts in the file.
                errs = [
                    *errs,
                    *(
                        ContentError(message, source.rel, doc.body_line + line - 1, hint)
                        for message, line, hint in exc.problems
                    ),
                ]
                doc = None
        out.append((doc, rendered, errs, warns))
    return out
