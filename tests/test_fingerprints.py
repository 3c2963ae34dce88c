"""Page fingerprints: any change in what a template can see changes the page's fingerprint.

A fingerprint that stayed the same after a change would keep a stale page in the output, so
these tests change one value at a time, at every depth and of every kind a context holds.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict, namedtuple
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pytest
from markupsafe import Markup

from broadsheet.content.model import Author, Category, Tag
from broadsheet.incremental.cache import Fingerprinter, job_fingerprint
from broadsheet.outputs import PageJob
from broadsheet.render.views import ArticleView, Link, Paginator, SiteView

WORLD = Category("world", "World", "/world/")
ANA = Author("ana", "Ana Lima", "/author/ana/")
HARBOUR = Tag("harbour", "Harbour", "/tag/harbour/")
SITE = SiteView(
    "T",
    "",
    "https://x.org/",
    "en",
    None,
    "",
    "",
    2026,
    datetime(2026, 1, 1, tzinfo=UTC),
    (),
    (),
    (),
    "",
    MappingProxyType({}),
)


def view(slug: str, digest: str = "d", **fields: Any) -> ArticleView:
    """An article's view with the fields a fingerprint reads; the others (whatever they are) None."""
    values: dict[str, Any] = {
        f.name: None
        for f in dataclasses.fields(ArticleView)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    values.update(
        title=slug, slug=slug, url=f"/world/{slug}/", authors=(ANA,), category=WORLD, tags=(HARBOUR,), digest=digest
    )
    values.update(fields)
    return ArticleView(**values)


def linked(*views: ArticleView) -> list[ArticleView]:
    """Link views newest first (prev is the older one), as render.link_views does."""
    for i, v in enumerate(views):
        v.prev = views[i + 1] if i + 1 < len(views) else None
        v.next = views[i - 1] if i > 0 else None
    return list(views)


def fp(context: dict[str, Any], url: str = "/p/", template: str = "list.html") -> str:
    return job_fingerprint(PageJob(url, template, context, "test"), "site-key")


def base() -> dict[str, Any]:
    a, b, c = linked(view("a"), view("b"), view("c"))
    a.related = [c]
    return {
        "site": SITE,
        "current_url": "/p/",
        "section": None,
        "page_title": "P",
        "article": a,
        "articles": [a, b, c],
        "breadcrumbs": [Link("Home", "/"), Link("World", "/world/")],
        "paginator": Paginator(1, 3, "/p/"),
        "subject": WORLD,
        "count": 3,
        "flag": True,
        "nested": {"k": ["x", 1, None], "m": {"deep": "y"}},
    }


# Each change applied to a fresh base context: the fingerprint must differ from the base's.
CHANGES: dict[str, Any] = {
    "a string": lambda c: c.update(page_title="Q"),
    "a string to Markup": lambda c: c.update(page_title=Markup("P")),
    "None to a string": lambda c: c.update(section="None"),
    "None to an empty string": lambda c: c.update(section=""),
    "an int to a string": lambda c: c.update(count="3"),
    "an int to a float": lambda c: c.update(count=3.0),
    "True to 1": lambda c: c.update(flag=1),
    "a key added": lambda c: c.update(extra_key=""),
    "a key removed": lambda c: c.pop("flag"),
    "a key renamed": lambda c: c.update(flag2=c.pop("flag")),
    "a list item": lambda c: c["nested"]["k"].__setitem__(0, "z"),
    "a list to a tuple subclass": lambda c: c["nested"].update(k=namedtuple("P", "a b c")("x", 1, None)),
    "a list item split": lambda c: c["nested"].update(k=["x\x001", None]),
    "a nested dict value": lambda c: c["nested"]["m"].update(deep="z"),
    "a dict to an OrderedDict": lambda c: c["nested"].update(m=OrderedDict(deep="y")),
    "a dict to a mapping proxy": lambda c: c["nested"].update(m=MappingProxyType({"deep": "y"})),
    "a link's name": lambda c: c["breadcrumbs"].__setitem__(1, Link("Wörld", "/world/")),
    "a link's URL": lambda c: c["breadcrumbs"].__setitem__(1, Link("World", "/w/")),
    "a link's name to Markup": lambda c: c["breadcrumbs"].__setitem__(1, Link(Markup("World"), "/world/")),
    "the paginator": lambda c: c.update(paginator=Paginator(2, 3, "/p/")),
    "the subject's description": lambda c: c.update(subject=dataclasses.replace(WORLD, description="d")),
    "the subject to a tag": lambda c: c.update(subject=Tag("world", "World", "/world/")),
    "an article's digest": lambda c: c.update(article=view("a", "e")),
    "an article's author": lambda c: c["articles"].__setitem__(
        1, dataclasses.replace(c["articles"][1], authors=(dataclasses.replace(ANA, bio="b"),))
    ),
    "an article's tags": lambda c: c["articles"].__setitem__(1, dataclasses.replace(c["articles"][1], tags=())),
    "an article's URL": lambda c: c["articles"].__setitem__(1, dataclasses.replace(c["articles"][1], url="/b2/")),
    "a related article's digest": lambda c: c["article"].__setattr__("related", [view("c", "e")]),
    "one related article fewer": lambda c: c["article"].__setattr__("related", []),
    "the previous article": lambda c: c["article"].__setattr__("prev", view("z")),
    "the order of a listing": lambda c: c["articles"].reverse(),
    "bytes": lambda c: c.update(count=b"3"),
    "a datetime": lambda c: c.update(count=datetime(2026, 1, 1, tzinfo=UTC)),
    "a string that looks like a mark": lambda c: c.update(page_title="s"),
    "a string holding NUL": lambda c: c.update(page_title="P\x00s\x00Q"),
}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_change_changes_the_fingerprint(name: str) -> None:
    before = fp(base())
    changed = base()
    CHANGES[name](changed)
    assert fp(changed) != before


def test_every_change_gives_its_own_fingerprint() -> None:
    prints = {}
    for name, change in CHANGES.items():
        context = base()
        change(context)
        prints[name] = fp(context)
    assert len(set(prints.values())) == len(prints)


def test_equal_contexts_give_equal_fingerprints() -> None:
    """Two builds make equal contexts from new objects, in any key order: their pages are kept."""
    first, second = base(), base()
    reordered = dict(reversed(list(second.items())))
    assert fp(first) == fp(reordered)


def test_url_and_template_are_covered() -> None:
    assert fp(base(), url="/q/") != fp(base())
    assert fp(base(), template="index.html") != fp(base())


def test_seo_is_left_out_at_the_top_only() -> None:
    """Head tags are made from the rest of the context (see DERIVED_CONTEXT); nested, a "seo" key is data."""
    assert fp(base() | {"seo": "anything"}) == fp(base())
    nested = base()
    nested["nested"]["seo"] = "x"
    assert fp(nested) != fp(base())


def test_strings_holding_nul_are_told_apart() -> None:
    assert fp({"a": "x\x00", "b": "y"}) != fp({"a": "x", "b": "\x00y"})
    assert fp({"a": ["x\x00s\x00y"]}) != fp({"a": ["x", "y"]})


def test_many_pages_fingerprinted_as_one_at_a_time() -> None:
    """What a Fingerprinter remembers between pages never changes a page's fingerprint."""
    contexts = [base() for _ in range(3)]
    contexts[1]["page_title"] = "other"
    contexts[2]["articles"] = contexts[2]["articles"][:1]
    shared = Fingerprinter("site-key")
    jobs = [PageJob(f"/p{i}/", "list.html", c, "test") for i, c in enumerate(contexts)]
    assert [shared.of(job) for job in jobs] == [job_fingerprint(job, "site-key") for job in jobs]


def test_keys_that_do_not_compare() -> None:
    assert fp({"a": {1: "x", "1": "y"}}) != fp({"a": {"1": "x", 1: "y"}})


def test_named_types_keep_their_fields() -> None:
    """Links are gathered field by field: a field added to Link must be gathered too."""
    assert [f.name for f in dataclasses.fields(Link)] == ["name", "url"]
