"""Properties that must hold for any input: slugs and output paths."""

from __future__ import annotations

import posixpath
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from broadsheet.urls import WINDOWS_RESERVED, UnsafePath, checked_output_path, output_path, output_path_once, slugify

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@given(st.text())
def test_slugs_are_url_safe_and_never_empty(text: str) -> None:
    slug = slugify(text)
    assert SLUG.match(slug), slug
    assert slug not in WINDOWS_RESERVED


@given(st.text())
def test_slugify_is_idempotent(text: str) -> None:
    slug = slugify(text)
    assert slugify(slug) == slug


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_case_and_normalisation_variants_share_a_slug(text: str) -> None:
    import unicodedata

    assert slugify(unicodedata.normalize("NFD", text)) == slugify(unicodedata.normalize("NFC", text))


segment = st.one_of(
    st.sampled_from(["..", ".", "%2e%2e", "%252e%252e", "..%2f", "a\\..\\b", "", "C:", "\x00", "%00", "~"]),
    st.text(max_size=8),
)


@settings(max_examples=500)
@given(st.lists(segment, max_size=6), st.booleans())
def test_output_paths_stay_inside(parts: list[str], trailing: bool) -> None:
    url = "/" + "/".join(parts) + ("/" if trailing else "")
    try:
        path = output_path(url)
    except UnsafePath:
        return
    assert not path.startswith("/") and "\\" not in path and "\x00" not in path
    normal = posixpath.normpath(path)
    assert normal == path and not normal.startswith("..")
    assert ".." not in path.split("/")


@settings(max_examples=500)
@given(st.lists(st.one_of(segment, st.text(alphabet="aZ09-_~.%/:", max_size=6)), max_size=6), st.booleans())
def test_plain_urls_map_as_the_checks_map_them(parts: list[str], trailing: bool) -> None:
    """output_path's shortcut for plain URLs (remembered, and not) gives what checking them step by
    step gives."""
    url = "/" + "/".join(parts) + ("/" if trailing else "")
    try:
        checked = checked_output_path(url)
    except UnsafePath:
        checked = None
    for mapped in (output_path, output_path_once):
        try:
            assert mapped(url) == checked
        except UnsafePath:
            assert checked is None


@given(st.text(alphabet="ab.#~_-4913swpxtmoDS", max_size=16))
def test_editor_leftovers_match_their_glob_patterns(name: str) -> None:
    """The one compiled expression says what the glob patterns, tried one by one, say."""
    import fnmatch

    from broadsheet.content.discover import EDITOR_LEFTOVERS, is_editor_leftover

    assert is_editor_leftover(name) == any(fnmatch.fnmatchcase(name, p) for p in EDITOR_LEFTOVERS)
