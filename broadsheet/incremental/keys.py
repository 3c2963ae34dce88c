"""Keys of stage inputs: a hash of exactly the value a stage takes, so that a key cannot drift.

A stage that can be skipped when its input is the same (feeds, say) takes one frozen value
holding everything it reads, and nothing else; :func:`key_of` hashes that value, field by
field. A field added to the input is in the key without anyone keeping a list in step, and a
stage that reads something outside its input cannot: it is not given it.

Only plain values are accepted (strings, numbers, dates, tuples, mappings, sets, frozen
dataclasses of those): anything else raises TypeError, rather than hashing something whose text
is not stable between runs. A dataclass field declared with ``compare=False`` stands outside the
key: the input must hold a value that stands for it (an article's body, read only when used, is
stood for by its source file's hash).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from pathlib import PurePath
from typing import Any

_PLAIN = (str, int, float, bool, type(None), datetime, date, time, timedelta, PurePath)
#: The exact plain types, each with the mark its values start with (found without isinstance calls:
#: a key may cover tens of thousands of values, a sitemap's entries say).
_MARKS: dict[type, str] = {kind: f"{kind.__name__}:" for kind in (str, int, float, bool, type(None), datetime, date)}
#: Per dataclass type, the names of the fields that are part of its key (those compared).
_KEYED: dict[type, tuple[str, ...]] = {}


def _keyed_fields(kind: type) -> tuple[str, ...]:
    names = _KEYED.get(kind)
    if names is None:
        names = _KEYED[kind] = tuple(f.name for f in dataclasses.fields(kind) if f.compare)
    return names


def _encode(value: Any, out: list[str]) -> None:
    kind = type(value)
    mark = _MARKS.get(kind)
    if mark is not None:
        out.append(mark + repr(value))
    elif isinstance(value, _PLAIN):
        # The type too: 1, True and "1" are different inputs; a datetime's repr names its zone.
        out.append(f"{kind.__name__}:{value!r}")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        out.append(f"<{kind.__qualname__}")
        marks = _MARKS
        for name in _keyed_fields(kind):
            out.append(name)
            item = getattr(value, name)
            # Plain fields without a call each: a key may cover every article's fields.
            mark = marks.get(type(item))
            if mark is not None:
                out.append(mark + repr(item))
            else:
                _encode(item, out)
        out.append(">")
    elif isinstance(value, tuple | list):
        out.append(f"[{len(value)}")
        _items(value, out)
        out.append("]")
    elif isinstance(value, Mapping):
        out.append(f"{{{len(value)}")
        for k in sorted(value, key=repr):
            _encode(k, out)
            _encode(value[k], out)
        out.append("}")
    elif isinstance(value, set | frozenset):
        parts = []
        for item in value:
            encoded: list[str] = []
            _encode(item, encoded)
            parts.append("\x1f".join(encoded))
        out.append(f"({len(value)}")
        out.extend(sorted(parts))  # a set's order changes from run to run
        out.append(")")
    else:
        raise TypeError(f"not a plain value, cannot be part of a stage's key: {type(value).__qualname__}")


def _items(values: tuple[Any, ...] | list[Any], out: list[str]) -> None:
    """A sequence's items, as :func:`_encode` gives each; strings (tags, slugs) without a call each."""
    if all(type(item) is str for item in values):
        out += ["str:" + repr(item) for item in values]
        return
    for item in values:
        _encode(item, out)


def key_of(value: Any) -> str:
    """Hash of a stage's input value: equal for equal values, in any process."""
    out: list[str] = []
    _encode(value, out)
    return hashlib.blake2b("\x1e".join(out).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
