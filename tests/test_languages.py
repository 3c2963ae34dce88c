"""Theme strings from per-language tables; dates and numbers in the site's language (Babel)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from broadsheet.render.i18n import language_chain, load_tables
from broadsheet.render.theme import BUNDLED_THEMES
from tests.conftest import MINIMAL_SITE_YML, article, build_errors, read, run_build

STORY = {
    "content/world/flood.md": article(
        "Flood", date="2026-03-04T07:30:00", category="World", source="AFP", updated="2026-03-05T09:00:00"
    ),
    "analytics/views.csv": "path,views\n/world/flood/,11530\n",
}


def yml(language: str) -> str:
    return MINIMAL_SITE_YML + f"language: {language}\n"


def test_english_is_the_default(make_site: Callable[..., Path]) -> None:
    site = make_site(STORY)
    run_build(site)
    page = read(site, "world/flood/index.html")
    assert '<html lang="en">' in page
    assert '<time datetime="2026-03-04T07:30:00+00:00">4 March 2026, 07:30</time>' in page
    assert '<span class="view-count">11,530 views</span>' in page
    assert ">Skip to content</a>" in page and ">You may also like<" not in page
    assert "Source : AFP" in page and "3 min read" not in page


def test_french_strings_dates_and_numbers(make_site: Callable[..., Path]) -> None:
    site = make_site({**STORY, "site.yml": yml("fr")})
    run_build(site)
    page = read(site, "world/flood/index.html")
    assert '<html lang="fr">' in page
    assert '<time datetime="2026-03-04T07:30:00+00:00">4 mars 2026 à 07:30</time>' in page
    assert "Mis à jour le <time" in page
    assert '<span class="view-count">11\u202f530 lectures</span>' in page
    assert ">Aller au contenu</a>" in page
    assert ">Accueil</a>" in page
    assert "min de lecture" in page
    home = read(site, "index.html")
    assert ">Les plus lus</h2>" in home and ">À la une</h2>" in home
    assert ">dimanche 29 novembre 2026</time>" in home  # the top bar: the build's "now", in French


def test_plural_forms_follow_the_language(make_site: Callable[..., Path]) -> None:
    one = {**STORY, "analytics/views.csv": "path,views\n/world/flood/,1\n"}
    site = make_site(one)
    run_build(site)
    assert '<span class="view-count">1 view</span>' in read(site, "world/flood/index.html")
    site = make_site({**one, "site.yml": yml("fr")}, name="fr")
    run_build(site)
    assert '<span class="view-count">1 lecture</span>' in read(site, "world/flood/index.html")


def test_a_language_without_a_table_falls_back_to_english_words_with_its_own_dates(
    make_site: Callable[..., Path],
) -> None:
    site = make_site({**STORY, "site.yml": yml("de")})
    run_build(site)
    page = read(site, "world/flood/index.html")
    assert '<html lang="de">' in page and ">Skip to content</a>" in page
    assert ">4 März 2026, 07:30</time>" in page
    assert "11.530 views" in page


def test_a_site_table_overrides_the_theme_and_regional_languages_use_the_base_table(
    make_site: Callable[..., Path],
) -> None:
    site = make_site(
        {**STORY, "site.yml": yml("fr-CA"), "i18n/fr.yml": "home: Une\n", "i18n/fr-CA.yml": "tags: Étiquettes\n"}
    )
    run_build(site)
    page = read(site, "world/flood/index.html")
    assert ">Une</a>" in page  # the site's fr table
    assert '<h2 class="tags-title">' not in page or "Étiquettes" in page
    assert ">Aller au contenu</a>" in page  # the theme's fr table


def test_unknown_language_is_named_with_its_line(make_site: Callable[..., Path]) -> None:
    errors = build_errors(make_site({**STORY, "site.yml": yml("klingon-xx")}))
    assert errors[0].startswith("site.yml:11: unknown language 'klingon-xx'"), errors


def test_a_missing_key_names_itself(make_site: Callable[..., Path]) -> None:
    theme = {
        "themes/mini/templates/base.html": "{{ t('no_such_words') }}",
        "themes/mini/templates/article.html": "{% extends 'base.html' %}",
    }
    site = make_site({**STORY, **theme, "site.yml": MINIMAL_SITE_YML + "theme: mini\n"})
    errors = build_errors(site)
    assert any("no text for 'no_such_words'" in e for e in errors), errors


def test_the_shipped_tables_have_the_same_keys() -> None:
    folder = BUNDLED_THEMES / "frontier"
    en = load_tables([folder], "en")[0]
    fr = load_tables([folder], "fr")[0]
    assert set(fr) == set(en)
    for key, value in en.items():
        assert type(fr[key]) is type(value), key


@pytest.mark.parametrize(
    ("language", "chain"), [("en", ["en"]), ("fr", ["fr", "en"]), ("pt-BR", ["pt-BR", "pt", "en"])]
)
def test_language_chain(language: str, chain: list[str]) -> None:
    assert language_chain(language) == chain


def test_editing_a_table_renders_the_pages_again(make_site: Callable[..., Path]) -> None:
    site = make_site({**STORY, "i18n/en.yml": "home: Front\n"})
    run_build(site)
    assert ">Front</a>" in read(site, "index.html")
    assert run_build(site).pages_rendered == 0
    (site / "i18n/en.yml").write_text("home: Front page\n")
    assert run_build(site).pages_rendered > 0
    assert ">Front page</a>" in read(site, "index.html")


FRENCH_PAGES = {
    "site.yml": yml("fr"),
    "content/world/flood.md": article("Flood", date="2026-03-04T07:30:00", category="World", aliases=["/old/flood/"]),
    "content/world/storm.md": article("Storm", date="2026-03-10T07:30:00", category="World"),
    "content/world/drought.md": article("Drought", date="2026-02-10T07:30:00", category="World"),
    "content/sport/final.md": article("Final", date="2026-02-12T07:30:00", category="Sport"),
}


def title_of(page: str) -> str:
    return page.split("<title>", 1)[1].split("</title>", 1)[0]


def test_page_titles_and_engine_pages_in_french(make_site: Callable[..., Path]) -> None:
    site = make_site(FRENCH_PAGES)
    run_build(site)
    assert title_of(read(site, "page/2/index.html")).startswith("Dernières nouvelles – page 2")
    assert title_of(read(site, "category/world/page/2/index.html")).startswith("World – page 2")
    assert 'content="Rubrique : Sport"' in read(site, "category/sport/index.html")
    archive = read(site, "archive/index.html")
    assert title_of(archive).startswith("Archives")
    assert 'content="Tous les articles de Test Times, mois par mois"' in archive
    assert ">mars 2026</time>" in archive and "(2 articles)" in archive and "March" not in archive
    month = read(site, "archive/2026/03/index.html")
    assert title_of(month).startswith("Archives : mars 2026")
    assert ">Tous les mois</a>" in month and ">février 2026</a>" in month
    search = read(site, "search/index.html")
    assert title_of(search).startswith("Recherche")
    assert ">Rechercher dans les articles</label>" in search and "Parcourez plutôt les <a" in search
    assert title_of(read(site, "404.html")).startswith("Page introuvable")
    assert "Cet article a été déplacé : <a" in read(site, "old/flood/index.html")


def test_a_theme_of_ones_own_gets_the_engine_words_from_the_bundled_tables(
    make_site: Callable[..., Path],
) -> None:
    templates = {
        f"themes/bare/templates/{name}": "<title>{{ page_title }}</title>\n"
        for name in ("index.html", "list.html", "article.html", "page.html", "404.html", "search.html", "alias.html")
    }
    site = make_site({**FRENCH_PAGES, **templates, "site.yml": yml("fr") + "theme: bare\n"})
    run_build(site)
    assert read(site, "page/2/index.html") == "<title>Dernières nouvelles – page 2</title>\n"
    assert read(site, "404.html") == "<title>Page introuvable</title>\n"


def test_a_page_title_with_a_wrong_placeholder_is_a_clear_error(make_site: Callable[..., Path]) -> None:
    site = make_site({**FRENCH_PAGES, "i18n/fr.yml": 'latest_news_page: "Page {numero}"\n'})
    [error] = build_errors(site)
    assert "latest_news_page" in error and "{number}" in error and "Traceback" not in error
