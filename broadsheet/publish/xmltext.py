"""Text that is safe inside XML, and one way to write an XML document.

Feeds and sitemaps are built with :mod:`xml.etree.ElementTree`, which escapes ``&``, ``<``
and ``>`` but copies control characters through, and a single U+0001 in a headline makes a
whole feed unreadable to a strict parser. Every text and attribute goes through
:func:`clean_text` first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime

# Not allowed in XML 1.0 (C0 controls but tab, newline and return; surrogates; U+FFFE/U+FFFF),
# plus DEL and the C1 controls, which XML allows but discourages and no headline needs.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_ROOT_RELATIVE = re.compile(r"""(\s(?:href|src|poster)\s*=\s*["'])/(?!/)""", re.IGNORECASE)


def clean_text(text: str) -> str:
    """Remove the characters XML 1.0 cannot hold (and C1 controls); keep everything else."""
    return _NOT_XML.sub("", text)


def absolutize_html(fragment: str, base_url: str) -> str:
    """Make root-relative ``href``/``src`` URLs absolute: feed readers show HTML off the site."""
    root = base_url.rstrip("/") + "/"
    return _ROOT_RELATIVE.sub(lambda m: m.group(1) + root, fragment)


def w3c_datetime(value: datetime) -> str:
    """ISO 8601 in UTC, as sitemaps want it: ``2026-11-20T10:00:00+00:00``."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def rfc822_datetime(value: datetime) -> str:
    """RFC 822 in GMT, as RSS 2.0 wants it: ``Fri, 20 Nov 2026 10:00:00 GMT``."""
    return format_datetime(value.astimezone(UTC).replace(microsecond=0), usegmt=True)


def element(
    parent: ET.Element, tag: str, text: str | None = None, attrs: Mapping[str, str] | None = None
) -> ET.Element:
    """Append a child element with cleaned text and attributes; return it."""
    child = ET.SubElement(parent, tag, {k: clean_text(v) for k, v in (attrs or {}).items()})
    if text is not None:
        child.text = clean_text(text)
    return child


def to_bytes(root: ET.Element, default_namespace: str | None = None) -> bytes:
    """Serialise a document as indented UTF-8 XML with its declaration."""
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode", default_namespace=default_namespace)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")
