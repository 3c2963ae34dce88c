"""Helpers shared by the publishing tests: hostile metadata and whole-output searches."""

from __future__ import annotations

import json
from pathlib import Path

#: A headline that tries everything: closing a script element, markup, '&', control characters
#: XML cannot hold, right-to-left text with its marks, and an emoji outside the BMP.
HOSTILE = "</script><script>alert(1)</script> & \x01\x08 Tom\x0b's \u200f\u05e9\u05dc\u05d5\u05dd\u200f 😀 <b>"


def raw_article(title: str, date: str = "2026-11-20T10:00:00", body: str = "Body text here.", **fields: object) -> str:
    """Like conftest.article, but keeps non-ASCII text literal (YAML refuses escaped surrogates)."""
    lines = ["---", f"title: {json.dumps(title, ensure_ascii=False)}", f"date: {date}"]
    lines += [f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in fields.items()]
    return "\n".join([*lines, "---", "", body, ""])


def all_output_text(output: Path) -> str:
    """Every file of the output folder decoded as text (bytes that are not UTF-8 replaced)."""
    files = sorted(p for p in output.rglob("*") if p.is_file())
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in files)
