"""Generate news articles grouped in stories, to measure how well related lists find the same story.

    python bench/story_corpus.py N OUTDIR [--flavor native|hugo] [--seed S]

A story is a handful of articles over days or weeks about one event: the same
people, places and organisation, one topic. It is made as hard as real news:

- people, places, organisations and topics are drawn from shared pools with a
  skew, so the capital, the president and "floods" turn up in many unrelated
  stories; only their combination, and the time, marks a story;
- some stories repeat the topic and the place of an earlier one months later,
  with other people (a second flood in the same city);
- an article names only some of its story's entities, and also names unrelated
  ones (context, comparisons, quotes), plus a witness of its own;
- the story's own tag is on about a third of its articles; the other tags are
  the topic, the place or generic ones shared across the site;
- a few articles of a story are filed under another category.

Stories of 7 to 12 articles are measured; shorter stories and one-off articles
are the unrelated noise around them. Standard library only; deterministic for a
seed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

_FIRST_TEXT = """
Amara Kwame Lin Sofia Tomasz Priya Jonas Fatima Noah Elena Hana Mateo Aisha Oleksandr Yusuf Ingrid
Rafael Chen Leila Dmitri Grace Kofi Mariam Pablo Nadia Samuel Anika Tariq Lucia Emeka Sven Mei Ahmed
Clara Diego Zainab Viktor Rosa Ibrahim Ayesha Hugo Nkechi Marco Selin Jamal Olga Pedro Wanjiru Karim
Elif Tunde Ines Omar Katarzyna Rahul Yara Felix Adaeze Javier Sana
"""
FIRST = _FIRST_TEXT.split()
_LAST_TEXT = """
Okafor Mensah Wei Marquez Nowak Raman Berg Zahra Klein Petrova Sato Fernandez Haddad Kovalenko Demir
Lindqvist Moreau Osei Tanaka Novak Abubakar Silva Ivanova Mwangi Rossi Khan Dubois Yilmaz Banda Horvat
Costa Nakamura Adeyemi Johansson Schmidt Santos Ahmadi Kowalski Otieno Gallo Rahman Lefebvre Aziz
Popescu Nair Varga Mbeki Duarte Castillo Eriksen Hussain Ferreira Bianchi Jovanovic Morales Nguyen
Okonkwo Laine Barros Kaya
"""
LAST = _LAST_TEXT.split()
_PLACES_TEXT = """
Lagos Nairobi Cairo Accra Dakar Kinshasa Addis-Ababa Johannesburg Kampala Khartoum Casablanca Tunis
Luanda Harare Lusaka Abuja Kigali Mombasa Durban Algiers London Paris Berlin Madrid Rome Warsaw Kyiv
Brussels Vienna Athens Lisbon Stockholm Oslo Prague Budapest Bucharest Geneva Milan Hamburg Marseille
Istanbul Ankara Tehran Baghdad Beirut Amman Riyadh Doha Dubai Jerusalem Delhi Mumbai Karachi Dhaka
Lahore Kathmandu Colombo Beijing Shanghai Tokyo Seoul Jakarta Manila Hanoi Bangkok Sydney Auckland
Washington Chicago Houston Toronto Montreal Vancouver Mexico-City Bogota Lima Santiago Caracas Havana
Quito Brasilia Sao-Paulo Rio Montevideo Panama Kingston Anchorage Reykjavik Tbilisi Yerevan Baku
Tashkent Almaty Ulaanbaatar
"""
PLACES = _PLACES_TEXT.split()
ORGS = [
    "World Bank",
    "United Nations",
    "Red Cross",
    "Central Bank",
    "Supreme Court",
    "Health Ministry",
    "Electoral Commission",
    "African Union",
    "European Commission",
    "Interior Ministry",
    "Finance Ministry",
    "National Assembly",
    "Football Federation",
    "Olympic Committee",
    "Port Authority",
    "Energy Agency",
    "Teachers Union",
    "Farmers Union",
    "Medical Association",
    "Space Agency",
    "Human Rights Watch",
    "Amnesty International",
    "Transparency International",
    "Stock Exchange",
    "Road Safety Board",
    "Water Authority",
    "Railway Company",
    "Science Academy",
    "Film Institute",
    "Climate Council",
]
TOPICS: dict[str, tuple[str, str]] = {
    # topic: (category, words)
    "floods": ("World", "flood floods rainfall river rescue evacuated homeless dam rains displaced relief"),
    "election": ("Politics", "election ballot candidate polling turnout votes campaign runoff recount rally"),
    "strike": ("Business", "strike walkout wages union negotiators picket shutdown pay demands mediation"),
    "trial": ("World", "trial court judge verdict prosecutors defence testimony witness sentence appeal"),
    "earthquake": ("World", "earthquake quake magnitude aftershock rubble survivors collapsed tremor rescue"),
    "merger": ("Business", "merger takeover shareholders deal acquisition regulators bid valuation board"),
    "vaccine": ("Science", "vaccine trial doses immunisation outbreak virus clinical efficacy rollout"),
    "match": ("Sport", "match goal striker coach league title fixture injury semifinal squad"),
    "festival": ("Culture", "festival premiere film audience jury screening director award stage"),
    "protest": ("Politics", "protest protesters march demonstrators teargas rally crackdown arrests curfew"),
    "budget": ("Business", "budget deficit spending taxes parliament austerity revenue debt borrowing"),
    "drought": ("World", "drought harvest crops rainfall famine livestock farmers water shortages"),
    "launch": ("Science", "rocket launch satellite orbit mission payload spacecraft countdown booster"),
    "scandal": ("Politics", "scandal corruption bribery investigation resignation leaked documents probe"),
    "wildfire": ("World", "wildfire blaze firefighters evacuation hectares smoke containment winds"),
    "outage": ("Technology", "outage blackout grid power network engineers restoration substation"),
    "cyberattack": ("Technology", "cyberattack hackers ransomware breach servers systems encrypted"),
    "summit": ("Politics", "summit leaders talks communique delegation agenda bilateral declaration"),
    "transfer": ("Sport", "transfer signing contract club fee midfielder loan negotiations"),
    "exhibition": ("Culture", "exhibition museum curator paintings gallery collection artworks visitors"),
}
_FILLER_TEXT = """
officials said statement added government local residents groups according morning evening week month
plans issue public national regional city country support concerns warned expected continue months
recent early late area nearby several including further response situation effort efforts result results
announced confirmed reported press conference meeting members council decision move measures changes new
major growing spokesperson agency sources data figures number latest hours days reports told media local
community pressure criticism calls questions process review following earlier initial plan planned
international analysts observers experts families workers leaders authorities services centre state
"""
FILLER = _FILLER_TEXT.split()
GENERIC_TAGS = [
    "Breaking",
    "Analysis",
    "Explainer",
    "Live",
    "Africa",
    "Europe",
    "Asia",
    "Americas",
    "Middle East",
    "Economy",
    "Society",
    "Environment",
    "Health",
    "Justice",
    "Security",
    "Interview",
    "Investigation",
    "Opinion",
    "Weekend",
    "Video",
]
CATEGORIES = ["World", "Politics", "Business", "Technology", "Science", "Sport", "Culture", "Opinion"]


@dataclass
class Article:
    """One generated article and the story it belongs to."""

    title: str
    slug: str
    date: dt.datetime
    category: str
    tags: list[str]
    summary: str
    body: str
    story: int
    story_size: int


@dataclass
class _Story:
    ident: int
    topic: str
    places: list[str]
    people: list[str]
    org: str | None
    start: dt.datetime
    days: float
    size: int
    tag: str
    dates: list[dt.datetime] = field(default_factory=list)


def _zipf(rng: random.Random, pool: Sequence[str], flat: float = 5.0) -> str:
    """Pick from pool with a skew: entry k weighs 1 / (k + flat), so the first ones recur most.

    With flat = 5, the top place of a hundred is picked about 7% of the time,
    a tenth as often as the hundredth... roughly how often a capital and a
    provincial town make the news.
    """
    weights = _WEIGHTS.get((len(pool), flat))
    if weights is None:
        weights = _WEIGHTS[(len(pool), flat)] = list(itertools.accumulate(1.0 / (k + flat) for k in range(len(pool))))
    return rng.choices(pool, cum_weights=weights)[0]


_WEIGHTS: dict[tuple[int, float], list[float]] = {}


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _display(place: str) -> str:
    return place.replace("-", " ")


class _Writer:
    """Builds sentences and articles from a story."""

    def __init__(self, rng: random.Random, people: list[str], places: list[str]) -> None:
        self.rng = rng
        self.people = people
        self.places = places

    def words(self, pool: Sequence[str], n: int) -> list[str]:
        return [self.rng.choice(pool) for _ in range(n)]

    def sentence(self, entities: Sequence[str], topic_words: Sequence[str]) -> str:
        rng = self.rng
        parts = self.words(FILLER, rng.randint(6, 12)) + list(topic_words) + list(entities)
        rng.shuffle(parts)
        text = " ".join(parts)
        return text[0].upper() + text[1:] + "."

    def distractor(self) -> list[str]:
        """Entities an article mentions in passing: famous names, big places, other topics."""
        rng = self.rng
        out = [_display(_zipf(rng, self.places))]
        if rng.random() < 0.6:
            out.append(_zipf(rng, self.people))
        if rng.random() < 0.3:
            out.append(_zipf(rng, ORGS))
        return out


def _article(w: _Writer, story: _Story, when: dt.datetime, serial: int) -> Article:
    rng = w.rng
    topic_words = TOPICS[story.topic][1].split()
    other_topic = TOPICS[rng.choice(sorted(TOPICS))][1].split()
    # Which of the story's entities this article names: the main place usually,
    # each other one about half the time, never fewer than two.
    pool = [_display(story.places[0])] if rng.random() < 0.85 else []
    pool += [_display(p) for p in story.places[1:] if rng.random() < 0.5]
    pool += [p for p in story.people if rng.random() < 0.55]
    if story.org and rng.random() < 0.5:
        pool.append(story.org)
    everything = [_display(p) for p in story.places] + story.people + ([story.org] if story.org else [])
    while len(pool) < 2:
        extra = rng.choice(everything)
        if extra not in pool:
            pool.append(extra)
    witness = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    sentences: list[str] = []
    for _ in range(rng.randint(10, 16)):
        roll = rng.random()
        if roll < 0.45:
            sentences.append(
                w.sentence(
                    rng.sample(pool, min(len(pool), rng.randint(1, 2))),
                    w.words(topic_words, rng.randint(1, 2)),
                )
            )
        elif roll < 0.7:
            sentences.append(w.sentence(w.distractor(), w.words(other_topic, rng.randint(0, 2))))
        elif roll < 0.78:
            sentences.append(w.sentence([witness], w.words(topic_words, 1)))
        else:
            sentences.append(w.sentence([], w.words(FILLER, 2)))
    lede = w.sentence(pool[:2], w.words(topic_words, 2))
    paragraphs = [" ".join(sentences[k : k + 4]) for k in range(0, len(sentences), 4)]
    head_entity = rng.choice(pool) if rng.random() < 0.75 else None
    head_words = " ".join(w.words(topic_words, 2) + w.words(FILLER, rng.randint(1, 3)))
    title = f"{head_entity}: {head_words}" if head_entity else head_words
    title = title[0].upper() + title[1:] + f" ({serial})"
    tags: set[str] = set()
    if rng.random() < 0.35:
        tags.add(story.tag)
    if rng.random() < 0.5:
        tags.add(story.topic.title())
    if rng.random() < 0.25:
        tags.add(_display(story.places[0]))
    while len(tags) < 2 or rng.random() < 0.3:
        tags.add(_zipf(rng, GENERIC_TAGS, 2.0))
    category = TOPICS[story.topic][0] if rng.random() < 0.85 else rng.choice(CATEGORIES)
    return Article(
        title=title,
        slug=_slugify(title),
        date=when,
        category=category,
        tags=sorted(tags),
        summary=lede,
        body="\n\n".join(paragraphs),
        story=story.ident,
        story_size=story.size,
    )


def generate(n: int, seed: int = 11, per_day: float = 12.0) -> list[Article]:
    """Return about ``n`` articles: half in measured stories of 7-12, the rest short stories and one-offs."""
    rng = random.Random(seed)
    people = sorted({f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(900)})
    rng.shuffle(people)
    places = list(PLACES)
    rng.shuffle(places)
    topics = sorted(TOPICS)
    rng.shuffle(topics)
    span_days = max(30.0, n / per_day)
    start = dt.datetime(2025, 1, 1, 6, 0, tzinfo=dt.UTC)
    writer = _Writer(rng, people, places)
    stories: list[_Story] = []
    total = 0
    while total < n:
        ident = len(stories)
        roll = rng.random()
        # Story kinds drawn so that about half the articles are in measured
        # stories (7-12), a quarter in short ones (2-4), a quarter one-offs.
        size = rng.randint(7, 12) if roll < 0.136 else rng.randint(2, 4) if roll < 0.352 else 1
        size = min(size, n - total)
        begin = start + dt.timedelta(days=rng.uniform(0, span_days))
        earlier = [s for s in stories if s.size >= 2 and (begin - s.start).days > 60]
        if earlier and rng.random() < 0.15:
            # The same kind of event in the same place, months later, other people.
            old = rng.choice(earlier)
            topic, main_place = old.topic, old.places[0]
        else:
            topic, main_place = _zipf(rng, topics, 3.0), _zipf(rng, places)
        second = [_zipf(rng, places)] if rng.random() < 0.5 else []
        cast = sorted({_zipf(rng, people) for _ in range(rng.randint(2, 3))})
        org = _zipf(rng, ORGS) if rng.random() < 0.6 else None
        days = min(60.0, rng.lognormvariate(1.6, 0.8))
        # Two floods in one city in one year share their tag, as on a real site.
        tag = f"{_display(main_place)} {topic}".title() + f" {begin.year}"
        stories.append(
            _Story(
                ident,
                topic,
                [main_place, *[p for p in second if p != main_place]],
                cast,
                org,
                begin,
                days,
                size,
                tag,
            )
        )
        total += size
    articles: list[Article] = []
    serial = 0
    for story in stories:
        offsets = sorted([0.0] + [rng.uniform(0, story.days) for _ in range(story.size - 1)])
        for off in offsets:
            when = (story.start + dt.timedelta(days=off)).replace(microsecond=0)
            articles.append(_article(writer, story, when, serial))
            serial += 1
    return articles


def precision(
    related: dict[str, list[str]],
    story_of: dict[str, int],
    size_of: dict[int, int],
    count: int = 6,
    min_size: int = 7,
) -> float:
    """Return the mean share of each measured article's top ``count`` that belongs to its story.

    Measured articles are those in stories of at least ``min_size`` articles, so
    that ``count`` right answers exist; a list shorter than ``count`` counts its
    missing places as wrong.
    """
    scores = []
    for key, story in story_of.items():
        if size_of[story] < min_size:
            continue
        top = related.get(key, [])[:count]
        scores.append(sum(1 for k in top if story_of.get(k) == story) / count)
    return sum(scores) / len(scores) if scores else 0.0


def _yaml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def render(a: Article, flavor: str) -> str:
    """Return the file text of an article in the project's or Hugo's front matter."""
    lines = [
        "---",
        f"title: {_yaml_str(a.title)}",
        f"date: {a.date.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"slug: {a.slug}",
    ]
    if flavor == "hugo":
        lines.append(f"categories: [{_yaml_str(a.category)}]")
    else:
        lines.append(f"category: {_yaml_str(a.category)}")
    lines.append("tags: [" + ", ".join(_yaml_str(t) for t in a.tags) + "]")
    lines.append(f"summary: {_yaml_str(a.summary)}")
    lines.append("---")
    return "\n".join(lines) + "\n\n" + a.body + "\n"


def write(articles: Sequence[Article], outdir: Path, flavor: str = "native") -> None:
    """Write articles as ``outdir/<category-slug>/<slug>.md``."""
    for a in articles:
        folder = outdir / _slugify(a.category)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{a.slug}.md").write_text(render(a, flavor), encoding="utf-8")


def main() -> None:
    """Write a story corpus from the command line."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("n", type=int)
    p.add_argument("outdir", type=Path)
    p.add_argument("--flavor", choices=["native", "hugo"], default="native")
    p.add_argument("--seed", type=int, default=11)
    args = p.parse_args()
    write(generate(args.n, args.seed), args.outdir, args.flavor)


if __name__ == "__main__":
    main()
