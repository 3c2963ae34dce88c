"""The theme's words in the site's language: string tables per language, and dates and numbers
written the way that language writes them (Babel's locale data).

A table is ``i18n/<language>.yml`` in a theme (a child theme's entries win over its parent's) or in
the site (whose entries win over the theme's): ``key: text``, where text may hold ``{name}``
placeholders, or ``key: {one: ..., other: ...}`` for words that change with a count (the
language's plural rules pick the form). A key missing from the site's language falls back to the
base language (``fr`` for ``fr-CA``), then to English.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from markupsafe import Markup, escape

from ..errors import ConfigError, TemplateError

if TYPE_CHECKING:
    from babel import Locale

FALLBACK = "en"
I18N_DIR = "i18n"

Table = dict[str, Any]


def parse_locale(language: str) -> Locale:
    """The Babel locale of a site.yml ``language`` (``en``, ``fr``, ``pt-BR``); ValueError when unknown."""
    # Babel is imported when first needed, not with the command line (a tenth of a second).
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise ValueError(str(exc)) from None


def language_chain(language: str) -> list[str]:
    """The tables to look in, most specific first: ``pt-BR`` → ``pt-BR``, ``pt``, ``en``."""
    chain = [language]
    base = language.replace("_", "-").split("-")[0]
    if base not in chain:
        chain.append(base)
    if FALLBACK not in chain:
        chain.append(FALLBACK)
    return chain


def _read_table(path: Path) -> Table:
    try:
        data = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=yaml.CSafeLoader) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the string table: {exc}", str(path), None, "check its YAML") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise ConfigError("a string table must map keys to text", str(path), 1, "write key: text lines")
    return data


def load_tables(folders: Sequence[Path], language: str) -> list[Table]:
    """The string tables for ``language``, most specific first (see module docs).

    ``folders``: the places holding ``i18n/``, most specific first (the site, then the themes).
    """
    tables: list[Table] = []
    for lang in language_chain(language):
        merged: Table = {}
        for folder in reversed(folders):  # least specific first, so the more specific overwrite
            path = folder / I18N_DIR / f"{lang}.yml"
            if path.is_file():
                merged.update(_read_table(path))
        if merged:
            tables.append(merged)
    return tables


class Translator:
    """``t(key, **values)`` for templates, and dates and numbers in the site's language."""

    def __init__(self, tables: Sequence[Table], language: str) -> None:
        self.tables = list(tables)
        from babel.dates import get_day_names, get_month_names

        self.locale = parse_locale(language) if language else parse_locale(FALLBACK)
        self._months = dict(get_month_names("wide", locale=self.locale))
        self._months_short = dict(get_month_names("abbreviated", locale=self.locale))
        self._days = dict(get_day_names("wide", locale=self.locale))
        self._days_short = dict(get_day_names("abbreviated", locale=self.locale))

    def lookup(self, key: str) -> Any:
        """The entry of ``key`` in the first table that has it; a TemplateError when none does."""
        for table in self.tables:
            if key in table:
                return table[key]
        raise TemplateError(
            f"no text for '{key}' in the theme's string tables",
            None,
            None,
            f"add {key}: ... to i18n/{FALLBACK}.yml of the theme or the site",
        )

    def __call__(self, key: str, count: int | None = None, **values: Any) -> Markup:
        """The text of ``key`` with its ``{placeholders}`` filled (values escaped unless Markup)."""
        entry = self.lookup(key)
        if isinstance(entry, Mapping):
            form = self.locale.plural_form(count if count is not None else 1)
            entry = entry.get(form, entry.get("other", ""))
        if count is not None:
            values.setdefault("count", self.number(count))
        text = Markup(escape(str(entry)))
        return text.format(**values) if values else text

    def text(self, key: str, count: int | None = None, **values: Any) -> str:
        """Like calling the translator, but plain text (nothing escaped): for the words the engine
        writes itself (page titles and descriptions), which templates and head tags escape."""
        entry = self.lookup(key)
        if isinstance(entry, Mapping):
            form = self.locale.plural_form(count if count is not None else 1)
            entry = entry.get(form, entry.get("other", ""))
        if count is not None:
            values.setdefault("count", self.number(count))
        try:
            return str(entry).format(**values)
        except (KeyError, IndexError, ValueError) as exc:
            names = ", ".join(f"{{{name}}}" for name in values) or "none"
            raise TemplateError(
                f"the text of '{key}' does not fit its placeholders ({exc})",
                None,
                None,
                f"in i18n/<language>.yml, write {key}: with the placeholders {names} (double {{{{ }}}} for a brace)",
            ) from None

    def number(self, value: int | float) -> str:
        """A number as the language writes it (``11,530``, ``11 530``)."""
        from babel.numbers import format_decimal

        return format_decimal(value, locale=self.locale)

    def date(self, value: datetime, fmt: str) -> str:
        """``strftime`` with month and day names (``%B %b %A %a``) in the site's language."""
        out = fmt.replace("%-d", str(value.day))
        if "%" in out:
            out = (
                out.replace("%B", self._months[value.month].replace("%", "%%"))
                .replace("%b", self._months_short[value.month].replace("%", "%%"))
                .replace("%A", self._days[value.weekday()].replace("%", "%%"))
                .replace("%a", self._days_short[value.weekday()].replace("%", "%%"))
            )
        return value.strftime(out)


def translator(folders: Sequence[Path], language: str) -> Translator:
    """The translator of a site: its tables for ``language`` from ``folders`` (the site, then its themes)."""
    return Translator(load_tables(folders, language), language)
