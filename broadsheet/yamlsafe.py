"""YAML read safely, the same way for site.yml and front matter.

PyYAML's safe loaders still accept two things a hostile or careless file can use to stop a build:
aliases, which share one node many times over so that a few hundred bytes expand into millions of
values when walked (an "alias bomb"), and nesting deep enough to overflow Python's stack in any
code that walks the values later (pickling them for the cache or a worker, rendering them).
Both are refused here with the line where they occur.
"""

from __future__ import annotations

from typing import Any

import yaml

#: How deep values may nest (a mapping in a list in a mapping ... counts one level each).
MAX_DEPTH = 32


class YamlProblem(ValueError):
    """A YAML text this project refuses: a message, its 1-based line in the text and a hint."""

    def __init__(self, message: str, line: int, hint: str) -> None:
        super().__init__(message)
        self.message, self.line, self.hint = message, line, hint


def load(text: str, loader: type[yaml.CSafeLoader] = yaml.CSafeLoader) -> Any:
    """Parse ``text`` with ``loader``, refusing aliases and values nested deeper than MAX_DEPTH.

    YAML syntax errors propagate as PyYAML raises them (callers add their file and line);
    refused structures raise :class:`YamlProblem`.
    """
    if "*" in text and "&" in text:  # an alias needs an anchor: most texts skip the event scan
        check_structure(text)
    try:
        data = yaml.load(text, Loader=loader)
    except RecursionError:
        check_structure(text)  # names the line where the nesting goes too deep
        raise
    if _too_deep(data):
        check_structure(text)
    return data


def check_structure(text: str) -> None:
    """Raise YamlProblem at the first alias or the first value nested deeper than MAX_DEPTH.

    Reads the event stream (libyaml keeps its own stack, so any depth is safe); a syntax error
    ends the scan quietly, to be reported with its line by the real parse.
    """
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.AliasEvent):
                raise YamlProblem(
                    "YAML aliases ('*name') are not allowed",
                    _line(event),
                    "write the value out in full instead of '&name' and '*name'",
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH + 1:  # the document's own mapping is the first level
                    raise YamlProblem(
                        f"values are nested more than {MAX_DEPTH} levels deep",
                        _line(event),
                        "flatten the value: lists and mappings this deep are not useful to a template",
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError:
        return


def _line(event: yaml.Event) -> int:
    return event.start_mark.line + 1 if event.start_mark is not None else 1


def _too_deep(data: Any) -> bool:
    """True when ``data`` nests lists and mappings deeper than MAX_DEPTH below the top level."""
    if not isinstance(data, (dict, list)):
        return False
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        items = value.values() if isinstance(value, dict) else value
        for item in items:
            if isinstance(item, (dict, list)):
                if depth + 1 > MAX_DEPTH:
                    return True
                stack.append((item, depth + 1))
    return False
