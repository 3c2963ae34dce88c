"""Shortcodes: ``{{< name args >}}`` in Markdown, expanded by Jinja macros.

A shortcode is a Jinja macro in a file ``shortcodes/<name>.html`` of the site, of its theme (and
the themes it extends), or of Broadsheet itself, looked up in that order, so a site or theme
overrides a shipped one by giving a file the same name. Syntax, in a Markdown body::

    {{< youtube dQw4w9WgXcQ title="The video" >}}
    {{< pullquote cite="Jane Doe" >}}Words *worth* repeating.{{< /pullquote >}}
    {{</* youtube abc */>}}      (written out as the text {{< youtube abc >}})

Arguments are positional or ``key=value``, values bare or quoted with ``"`` or ``'``; the macro
receives them as strings. Paired shortcodes hand their inner text, converted as Markdown, to the
macro as ``caller()``. Shortcodes inside fenced code blocks and inline code are left alone.

Expansion runs as a Markdown preprocessor: each shortcode's HTML goes into the converter's HTML
stash, so Markdown neither escapes nor re-parses it. Arguments reach the HTML through Jinja's
autoescape. Every problem (unknown name, bad arguments) is collected with its line in the body
and raised together as :class:`ShortcodeErrors`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jinja2
import markdown as _markdown
from markdown.preprocessors import Preprocessor
from markupsafe import Markup, escape

#: Broadsheet's own shortcodes: the last place a name is looked up.
BUILTIN_DIR = Path(__file__).resolve().parent / "builtin_shortcodes"

_OPEN = "{{<"
_TAG = re.compile(
    r"\{\{<(?P<escaped>/\*)?\s*(?P<close>/)?(?P<name>[A-Za-z][\w-]*)(?P<args>.*?)\s*(?(escaped)\*/)>\}\}", re.S
)
_ARG = re.compile(
    r"""\s*(?:(?P<key>[A-Za-z_][\w-]*)\s*=\s*)?(?:"(?P<dq>(?:[^"\\]|\\.)*)"|'(?P<sq>(?:[^'\\]|\\.)*)'|(?P<bare>[^\s"'=]+))""",
    re.S,
)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(?:(?!\n\s*\n).)+?(?<!`)\1(?!`)", re.S)


class ShortcodeErrors(ValueError):
    """Problems with shortcodes in one body: ``problems`` holds (message, line in the body, hint)."""

    def __init__(self, problems: list[tuple[str, int, str]]) -> None:
        super().__init__("; ".join(p[0] for p in problems))
        self.problems = problems


class ShortcodeArgumentError(Exception):
    """Raised by ``fail()`` inside a macro: the arguments it was given are wrong."""


def _fail(message: str) -> None:
    raise ShortcodeArgumentError(message)


def parse_arguments(text: str) -> tuple[list[str], dict[str, str]]:
    """Split a shortcode's argument text into positional and keyword strings; raise ValueError on junk."""
    args: list[str] = []
    kwargs: dict[str, str] = {}
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _ARG.match(text, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"cannot read the arguments from {text[pos:].strip()!r}")
        raw = m.group("dq") if m.group("dq") is not None else m.group("sq")
        value = re.sub(r"\\(.)", r"\1", raw) if raw is not None else m.group("bare")
        if m.group("key"):
            kwargs[m.group("key").replace("-", "_")] = value
        elif kwargs:
            raise ValueError(f"positional argument {value!r} after named ones")
        else:
            args.append(value)
        pos = m.end()
    return args, kwargs


def shortcode_environment(dirs: Sequence[str], options: dict[str, Any]) -> jinja2.Environment:
    """The Jinja environment shortcode macros run in: autoescaped, strict, with ``fail`` and ``options``."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*dirs, str(BUILTIN_DIR)]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )
    env.globals["fail"] = _fail
    env.globals["options"] = options
    env.tests["media_id"] = lambda v: isinstance(v, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", v) is not None
    return env


def available(dirs: Sequence[str]) -> list[str]:
    """Names of every shortcode found in ``dirs`` and Broadsheet's own, sorted."""
    names: set[str] = set()
    for folder in [*dirs, str(BUILTIN_DIR)]:
        path = Path(folder)
        if path.is_dir():
            names.update(p.stem for p in path.glob("*.html"))
    return sorted(names)


def _code_lines(lines: list[str]) -> list[bool]:
    """For each line: is it inside (or a fence of) a fenced code block?"""
    inside: list[bool] = []
    fence: str | None = None
    for line in lines:
        m = _FENCE.match(line)
        if fence is None:
            if m:
                fence = m.group(1)
                inside.append(True)
                continue
            inside.append(False)
        else:
            inside.append(True)
            if (
                m
                and m.group(1)[0] == fence[0]
                and len(m.group(1)) >= len(fence)
                and not line.strip()[len(m.group(1)) :]
            ):
                fence = None
    return inside


class ShortcodePreprocessor(Preprocessor):
    """Replace shortcodes with their macros' HTML (stashed), outside fenced code."""

    def __init__(
        self, md: _markdown.Markdown, env_factory: Callable[[], jinja2.Environment], inner: Callable[[str], str]
    ) -> None:
        super().__init__(md)
        self._env_factory = env_factory
        self._env: jinja2.Environment | None = None
        self._inner = inner

    @property
    def env(self) -> jinja2.Environment:
        if self._env is None:
            self._env = self._env_factory()
        return self._env

    def run(self, lines: list[str]) -> list[str]:
        """Expand every shortcode; raise ShortcodeErrors listing every problem."""
        if not any(_OPEN in line for line in lines):
            return lines
        code = _code_lines(lines)
        out: list[str] = []
        problems: list[tuple[str, int, str]] = []
        i = 0
        while i < len(lines):
            if code[i] or _OPEN not in lines[i]:
                out.append(lines[i])
                i += 1
                continue
            # A run of prose lines (up to the next fence) is expanded as one text, so that paired
            # shortcodes and quoted arguments may span lines.
            j = i
            while j < len(lines) and not code[j]:
                j += 1
            text = "\n".join(lines[i:j])
            out.extend(self._expand(text, i + 1, problems).split("\n"))
            i = j
        if problems:
            raise ShortcodeErrors(problems)
        return out

    def _expand(self, text: str, first_line: int, problems: list[tuple[str, int, str]]) -> str:
        parts: list[str] = []
        pos = 0
        # Inline code (`{{< x >}}`) shows a shortcode as text, like fenced code.
        spans = [(c.start(), c.end()) for c in _CODE_SPAN.finditer(text)] if "`" in text else []
        while (m := _TAG.search(text, pos)) is not None:
            if any(start <= m.start() < end for start, end in spans):
                parts.append(text[pos : m.end()])
                pos = m.end()
                continue
            parts.append(text[pos : m.start()])
            line = first_line + text.count("\n", 0, m.start())
            pos = m.end()
            if m.group("escaped"):
                literal = "{{<" + m.group(0)[len("{{</*") : -len("*/>}}")] + ">}}"
                parts.append(self.md.htmlStash.store(str(escape(literal))))
                continue
            name = m.group("name")
            if m.group("close"):
                problems.append(
                    (
                        f"closing shortcode '{{{{< /{name} >}}}}' without an opening one",
                        line,
                        f"open it with {{{{< {name} >}}}} before",
                    )
                )
                continue
            inner: str | None = None
            close = re.compile(r"\{\{<\s*(/?)" + re.escape(name) + r"\b.*?>\}\}", re.S)
            depth = 1
            scan = pos
            while (c := close.search(text, scan)) is not None:
                depth += -1 if c.group(1) else 1
                scan = c.end()
                if depth == 0:
                    inner = text[pos : c.start()]
                    pos = c.end()
                    break
            parts.append(self._call(name, m.group("args"), inner, line, problems))
        parts.append(text[pos:])
        return "".join(parts)

    def _call(
        self, name: str, arg_text: str, inner: str | None, line: int, problems: list[tuple[str, int, str]]
    ) -> str:
        """The stash placeholder of one shortcode's HTML (or an empty string after a problem)."""
        try:
            args, kwargs = parse_arguments(arg_text)
        except ValueError as exc:
            problems.append(
                (f"shortcode '{name}': {exc}", line, 'write arguments as value, "quoted value" or key="value"')
            )
            return ""
        try:
            template = self.env.get_template(f"{name}.html")
        except jinja2.TemplateNotFound:
            known = ", ".join(available(self._dirs()))
            problems.append(
                (f"unknown shortcode '{name}'", line, f"known shortcodes: {known}; or add shortcodes/{name}.html")
            )
            return ""
        except jinja2.TemplateSyntaxError as exc:
            problems.append(
                (
                    f"shortcode '{name}': its template has an error: {exc.message} ({exc.filename}:{exc.lineno})",
                    line,
                    "fix the macro",
                )
            )
            return ""
        macro = getattr(template.module, name.replace("-", "_"), None)
        if macro is None:
            problems.append(
                (
                    f"shortcodes/{name}.html defines no macro '{name.replace('-', '_')}'",
                    line,
                    "name the macro after its file",
                )
            )
            return ""
        if inner is not None:
            html_inner = Markup(self._inner(inner.strip("\n")))
            kwargs_call: dict[str, Any] = {**kwargs, "caller": lambda: html_inner}
        else:
            kwargs_call = dict(kwargs)
        try:
            html = str(macro(*args, **kwargs_call))
        except ShortcodeArgumentError as exc:
            problems.append((f"shortcode '{name}': {exc}", line, "see the shortcode's arguments in the README"))
            return ""
        except jinja2.UndefinedError as exc:
            problems.append(
                (
                    f"shortcode '{name}': a required argument is missing ({exc.message})",
                    line,
                    "see the shortcode's arguments in the README",
                )
            )
            return ""
        except TypeError as exc:
            text = str(exc)
            if "caller" in text:
                text = "it takes no inner content"
            problems.append((f"shortcode '{name}': {text}", line, "see the shortcode's arguments in the README"))
            return ""
        return self.md.htmlStash.store(html.strip())

    def _dirs(self) -> list[str]:
        loader = self.env.loader
        assert isinstance(loader, jinja2.FileSystemLoader)
        return [str(p) for p in loader.searchpath][:-1]
