"""Levers for the timeline's date F1, each scored as `assistant eval-timeline` scores (date F1 within one day,
evidence recall) on the tuning part (German: Tönnies, Warn-App, Moria), the German part kept aside (Heinsberg,
Wirecard) and the English questions, from passages retrieved once per question and variant.

Levers: time-stratified retrieval (after the first search finds the story's span of days, one search per week or
month of it, filtered on the publication day, so later, sparser phases get passages), an adaptive number of
entries (stop at a share of the best day's score), bursts (a day's articles, or the next day's, as evidence for
an event day), and for English questions the dense side alone, more passages, or the German stems the first
hits share added to the keyword side.

The base pool is searched as `Assistant.timeline` searches (a question asked across languages with the
timeline's own weights). Rounds: 1 (default) every variant's pool, English-only pools, adaptive entries, bursts;
2 German stem expansions beside English pools; 3 caps on what one article adds to a day; 4 an article's vote for
the day it names; 5 relevance windows; 6 pseudo-relevance feedback for English questions; 7 stratified passages
bringing only sentences that name a day; 8 room for more entries with an adaptive stop; 9 days later articles look
back to; 10 the entry sentence's same-day bonus; (night) 11 headlines as event markers, by vector or by the
question's stems; 12 a learned date ranker; 13 days no relevant sentence names; 14 headline vectors, finer; 16
headline stems, weights; 17 stems with unnamed days; 18 the shipped family; 19 on top of the shipped builder.
Figures and commands: docs/time-and-timelines.md (rounds of 2026-12-07, evening and night).

Run: python bench/bench_timeline_levers.py --index-dir INDEX   (an index of all FANG-COVID articles)
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import numpy as np
from bench_timeline_story import timeline_counts

from assistant import Assistant, Settings
from assistant.answering.asking import make_question
from assistant.answering.retrieval import FusionWeights, hybrid_retriever
from assistant.answers import Passage
from assistant.indexing.keyword_index import tokenize
from assistant.indexing.records import SentenceRecord
from assistant.question import Question, SearchFilter
from assistant.timeline import building
from assistant.timeline.building import NamesStory, build_timeline
from assistant.timeline.evaluation import GoldEvent, load_topics
from assistant.timeline.headlines import headline_names_story
from assistant.timeline.model import TimelineEntry
from assistant.timeline.questions import question_time, topic_of
from assistant.timeline.searching import TIMELINE_CROSS_LINGUAL, asked_across_languages

REPO = Path(__file__).resolve().parents[1]
TIMELINES = REPO.parent / "shared" / "data" / "fang-covid" / "timelines.json"
TUNE = {("toennies", "de"), ("warnapp", "de"), ("moria", "de")}
HELD_DE = {("heinsberg", "de"), ("wirecard", "de")}
PASSAGES = 200
"""What the timeline retrieves (`assistant.core.TIMELINE_PASSAGES`)."""

Sentences = dict[str, list[SentenceRecord]]
Sentence = building._Sentence


@dataclass
class Case:
    events: list[GoldEvent]
    question: Question
    query: np.ndarray
    pools: dict[str, list[Passage]] = field(default_factory=dict)  # variant -> passages
    seconds: dict[str, float] = field(default_factory=dict)


class Searcher:
    """The timeline's own search (`Assistant._search`), with a filter or fusion weights of a variant."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.records = assistant.records()

    def search(
        self, question: Question, query: np.ndarray, k: int, *, weights: FusionWeights | None = None
    ) -> list[Passage]:
        a = self.assistant
        keyword = a.keyword_index.ensure_current()
        with a._store_access().reading() as store:
            retriever = hybrid_retriever(store, keyword, self.records)
            retriever.weights = weights
            return retriever.retrieve(question, query, k, question.search_filter)


def buckets(first: dt.date, last: dt.date, days: int) -> Iterator[tuple[dt.date, dt.date]]:
    start = first
    while start <= last:
        end = min(start + dt.timedelta(days=days - 1), last)
        yield start, end
        start = end + dt.timedelta(days=1)


def story_span(passages: list[Passage], sentences: Sentences, query: np.ndarray) -> tuple[dt.date, dt.date] | None:
    """The first and last publication day of the story's articles (those with a relevant dated sentence)."""
    per_day = build_timeline(passages, sentences, query).articles_per_day
    if not per_day:
        return None
    days = sorted(per_day)
    return dt.date.fromisoformat(days[0]), dt.date.fromisoformat(days[-1])


def stratified(
    searcher: Searcher, case: Case, base: list[Passage], sentences: Sentences, days: int, k: int
) -> list[Passage]:
    """`base`, then per bucket of `days` days of the story's span the `k` best passages published in it."""
    span = story_span(base, sentences, case.query)
    if span is None:
        return base
    seen = {p.chunk_id for p in base}
    pool = list(base)
    for first, last in buckets(*span, days):
        flt = SearchFilter(published_from=first.isoformat(), published_to=last.isoformat())
        found = searcher.search(dataclasses.replace(case.question, search_filter=flt), case.query, k)
        for p in found:
            if p.chunk_id not in seen:
                seen.add(p.chunk_id)
                pool.append(p)
    return pool


def shared_stems(
    base: list[Passage], count: int, top: int, searcher: Searcher, min_df: int = 3, skip: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """The stems most of the first `count` hits share (weighted by rarity): the story's words in its language."""
    df: Counter[str] = Counter()
    for p in base[:count]:
        df.update(set(tokenize(p.text)))
    idf = searcher.assistant.keyword_index.idf
    ranked = sorted(df, key=lambda s: -df[s] * idf(s))
    return tuple(s for s in ranked if df[s] >= min_df and s not in skip)[:top]


def collect(assistant: Assistant, variants: list[str]) -> dict[tuple[str, str], Case]:
    searcher = Searcher(assistant)
    records = searcher.records
    cases = {}
    for topic in load_topics(TIMELINES):
        for lang, question in topic.questions.items():
            searched = topic_of(question_time(question, dt.date.today()).searched)
            query = assistant.embeddings.embed_query_array(searched)
            asked = make_question(searched)
            case = Case(topic.events, asked, query)
            started = time.perf_counter()
            base = searcher.search(asked, query, PASSAGES)
            if asked_across_languages(question, base):  # as `Assistant.timeline` searches
                base = searcher.search(asked, query, PASSAGES, weights=TIMELINE_CROSS_LINGUAL)
            case.seconds["shipped"] = time.perf_counter() - started
            case.pools["shipped"] = base
            sentences = records.sentences_of(p.chunk_id for p in base)
            for name in variants:
                started = time.perf_counter()
                kind, _, arg = name.partition(":")
                if kind == "week" or kind == "month" or kind == "fortnight":
                    width = {"week": 7, "fortnight": 14, "month": 30}[kind]
                    pool = stratified(searcher, case, base, sentences, width, int(arg))
                elif kind == "dense":
                    pool = searcher.search(asked, query, PASSAGES, weights=FusionWeights(1.0, 0.0, 0.0))
                elif kind == "densesent":
                    pool = searcher.search(asked, query, PASSAGES, weights=FusionWeights(0.5, 0.0, 0.5))
                elif kind == "more":
                    pool = searcher.search(asked, query, int(arg))
                elif kind == "stemsfirst":
                    top, count = (int(x) for x in arg.split(":"))
                    first = searcher.search(asked, query, count)
                    extra = shared_stems(first, count, top, searcher)
                    pool = searcher.search(dataclasses.replace(asked, stems=asked.stems + extra), query, PASSAGES)
                elif kind in ("stems", "stemsnew", "stemsonly"):
                    top, count, min_df = (int(x) for x in (arg + ":20:3").split(":")[:3])
                    skip = asked.stems if kind == "stemsnew" else ()
                    extra = shared_stems(base, count, top, searcher, min_df, skip)
                    stems = extra if kind == "stemsonly" else asked.stems + extra
                    pool = searcher.search(dataclasses.replace(asked, stems=stems), query, PASSAGES)
                elif kind == "weights":
                    d, kw, se = (float(x) for x in arg.split(":"))
                    pool = searcher.search(asked, query, PASSAGES, weights=FusionWeights(d, kw, se))
                else:
                    raise SystemExit(f"unknown variant {name}")
                case.seconds[name] = time.perf_counter() - started
                case.pools[name] = pool
            print(f"{topic.name} {lang}: " + ", ".join(f"{n} {len(p)}" for n, p in case.pools.items()), flush=True)
            cases[(topic.name, lang)] = case
    all_ids = {p.chunk_id for c in cases.values() for pool in c.pools.values() for p in pool}
    Case.sentences = records.sentences_of(all_ids)  # type: ignore[attr-defined]
    EMBEDDER.append(assistant)
    return cases


EMBEDDER: list[Assistant] = []
TITLES: dict[tuple[str, ...], np.ndarray] = {}


def embed_titles(titles: list[str]) -> np.ndarray:
    """The headlines embedded as `Assistant.timeline` embeds them: one batch of a question's distinct relevant
    headlines (the quantized encoder's vectors move by about 0.002 in cosine with the batch), once per batch."""
    key = tuple(titles)
    if key not in TITLES:
        TITLES[key] = EMBEDDER[0].embeddings.embed_passages_array(titles)
    return TITLES[key]


Builder = Callable[[list[Passage], Sentences, np.ndarray], list[TimelineEntry]]


BUILDING: list[Case] = []
"""The case `report` is building (what the shipped builder reads its headline test from)."""


def names_story() -> NamesStory | None:
    """The case's headline test, as `Assistant.timeline` makes it (the question's stems, the index's idf)."""
    return headline_names_story(BUILDING[-1].question.stems, EMBEDDER[0].keyword_index.idf) if BUILDING else None


def shipped(passages: list[Passage], sentences: Sentences, query: np.ndarray) -> list[TimelineEntry]:
    return build_timeline(passages, sentences, query, names_story=names_story()).entries


def without_headlines(passages: list[Passage], sentences: Sentences, query: np.ndarray) -> list[TimelineEntry]:
    """The builder before the night round of 2026-12-07: every relevant article counts the same for its day."""
    return build_timeline(passages, sentences, query).entries


def adaptive(share: float, cap: int = building.MAX_ENTRIES) -> Builder:
    """At most `cap` entries, stopping at the first day scoring below `share` of the best day's score."""

    def build(passages: list[Passage], sentences: Sentences, query: np.ndarray) -> list[TimelineEntry]:
        entries = build_timeline(passages, sentences, query, max_entries=cap, names_story=names_story()).entries
        if not entries:
            return entries
        best = max(e.score for e in entries)
        return [e for e in entries if e.score >= share * best]

    return build


@contextmanager
def burst(weight: float) -> Iterator[None]:
    """Days scored as shipped plus `weight` per relevant article published the day after (a burst of reports)."""
    shipped_scores = building._day_scores

    def scores(candidates: list[Sentence], by_day: Mapping[dt.date, list[Sentence]]) -> dict[dt.date, float]:
        after: dict[dt.date, set[str]] = defaultdict(set)
        for sentence in candidates:
            if sentence.passage.published:
                day = dt.date.fromisoformat(sentence.passage.published[:10])
                after[day - dt.timedelta(days=1)].add(sentence.passage.article_id)
        return {day: s + weight * len(after.get(day, ())) for day, s in shipped_scores(candidates, by_day).items()}

    with mock.patch.object(building, "_day_scores", scores):
        yield


@contextmanager
def per_article(implicit: float, implicit_cap: int, explicit_cap: int) -> Iterator[None]:
    """Days scored with a cap on what one article's sentences add to a day: at most `implicit_cap` of its sentences
    that name no day (weighing `implicit` each) and `explicit_cap` of those that name it (one long article of
    background, or one that repeats a day, is one report)."""

    def scores(candidates: list[Sentence], by_day: Mapping[dt.date, list[Sentence]]) -> dict[dt.date, float]:
        published: dict[dt.date, set[str]] = defaultdict(set)
        for sentence in candidates:
            if sentence.passage.published:
                published[dt.date.fromisoformat(sentence.passage.published[:10])].add(sentence.passage.article_id)
        result = {}
        for day, group in by_day.items():
            named: Counter[str] = Counter(s.passage.article_id for s in group if s.explicit)
            plain: Counter[str] = Counter(s.passage.article_id for s in group if not s.explicit)
            said = sum(min(n, explicit_cap) for n in named.values()) * building.EXPLICIT_WEIGHT
            said += sum(min(n, implicit_cap) for n in plain.values()) * implicit
            result[day] = said + building.ARTICLE_WEIGHT * len(published.get(day, ()))
        return result

    with mock.patch.object(building, "_day_scores", scores):
        yield


@contextmanager
def retrospective(extra: float, gap: int) -> Iterator[None]:
    """Days scored with a sentence naming its day from an article published `gap` or more days later counting
    1 + `extra` (a day later articles look back to is a milestone)."""
    shipped_scores = building._day_scores

    def scores(candidates: list[Sentence], by_day: Mapping[dt.date, list[Sentence]]) -> dict[dt.date, float]:
        result = shipped_scores(candidates, by_day)
        for day, group in by_day.items():
            for s in group:
                published = building._day_of(s.passage.published)
                if s.explicit and published is not None and (published - day).days >= gap:
                    result[day] += extra
        return result

    with mock.patch.object(building, "_day_scores", scores):
        yield


@contextmanager
def article_votes(share: float) -> Iterator[None]:
    """Days scored with each relevant article counting `share` for the day its relevant sentences name most (when
    they name one) and the rest for its publication day (as shipped: all for the publication day)."""

    def scores(candidates: list[Sentence], by_day: Mapping[dt.date, list[Sentence]]) -> dict[dt.date, float]:
        named: dict[str, Counter[dt.date]] = defaultdict(Counter)
        published: dict[str, dt.date] = {}
        for sentence in candidates:
            if sentence.passage.published:
                published[sentence.passage.article_id] = dt.date.fromisoformat(sentence.passage.published[:10])
            if sentence.explicit:
                named[sentence.passage.article_id][sentence.day] += 1
        votes: dict[dt.date, float] = defaultdict(float)
        for article_id, day in published.items():
            if named[article_id]:
                told = max(named[article_id], key=lambda d: (named[article_id][d], d))
                votes[told] += share
                votes[day] += 1 - share
            else:
                votes[day] += 1
        result = {}
        for day, group in by_day.items():
            said = sum(building.EXPLICIT_WEIGHT if s.explicit else building.IMPLICIT_WEIGHT for s in group)
            result[day] = said + building.ARTICLE_WEIGHT * votes.get(day, 0.0)
        return result

    with mock.patch.object(building, "_day_scores", scores):
        yield


def feedback(
    mix: float, count: int, languages: tuple[str, ...] = ("en",)
) -> Callable[[tuple[str, str], Case], Builder]:
    """The builder with the question's vector mixed with the centroid of the `count` most similar sentences of
    the pool (pseudo-relevance feedback), for the questions in `languages`."""

    def for_case(key: tuple[str, str], case: Case) -> Builder:
        if key[1] not in languages:
            return shipped

        def build(passages: list[Passage], sentences: Sentences, query: np.ndarray) -> list[TimelineEntry]:
            vectors = np.stack([r.vector for p in passages for r in sentences.get(p.chunk_id, ())]).astype(np.float32)
            best = np.argsort(-(vectors @ query))[:count]
            mixed = (1 - mix) * query + mix * vectors[best].mean(axis=0)
            return build_timeline(passages, sentences, mixed / np.linalg.norm(mixed), names_story=names_story()).entries

        return build

    return for_case


def named_only(pool: str) -> PerCase:
    """The builder on `pool`, where the passages beyond the shipped 200 keep only their sentences that name a day
    other than their publication day: the later phases' events without their background."""

    def for_case(key: tuple[str, str], case: Case) -> Builder:
        base = {p.chunk_id for p in case.pools["shipped"]}

        def build(passages: list[Passage], sentences: Sentences, query: np.ndarray) -> list[TimelineEntry]:
            trimmed = dict(sentences)
            for p in case.pools[pool]:
                if p.chunk_id not in base and p.published:
                    named = [r for r in sentences.get(p.chunk_id, ()) if r.day is not None and r.day[0] != _number(p)]
                    trimmed[p.chunk_id] = named
            return build_timeline(case.pools[pool], trimmed, query, names_story=names_story()).entries

        return build

    return for_case


def _number(passage: Passage) -> int:
    return int((passage.published or "")[:10].replace("-", ""))


@contextmanager
def patched_bonus(bonus: float) -> Iterator[None]:
    with mock.patch.object(building, "SAME_DAY_BONUS", bonus):
        yield


@contextmanager
def patched_window(window: float) -> Iterator[None]:
    with mock.patch.object(building, "RELEVANT_BELOW_BEST", window):
        yield


@contextmanager
def spread_window(sds: float) -> Iterator[None]:
    """Relevant: within `sds` standard deviations (of all dated sentences' similarities) of the best."""

    def relevant(found: list[Sentence]) -> list[Sentence]:
        if not found:
            return []
        values = np.array([s.relevance for s in found])
        floor = values.max() - sds * values.std()
        return [s for s in found if s.relevance >= floor]

    with mock.patch.object(building, "_relevant", relevant):
        yield


PerCase = Callable[[tuple[str, str], Case], Builder]


def report(
    cases: dict[tuple[str, str], Case],
    name: str,
    pool: str,
    build: Builder | None = None,
    en_pool: str = "",
    per_case: PerCase | None = None,
) -> None:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    sentences: Sentences = Case.sentences  # type: ignore[attr-defined]
    for key, case in cases.items():
        BUILDING.append(case)
        chosen = en_pool if en_pool and key[1] == "en" else pool
        builder = per_case(key, case) if per_case else build or shipped
        entries = builder(case.pools[chosen], sentences, case.query)
        part = "tuning" if key in TUNE else "aside de" if key in HELD_DE else "en"
        en_part = ["en (tuning topics)" if (key[0], "de") in TUNE else "en (aside topics)"] if part == "en" else []
        for group in (part, *en_part, "all"):
            for n, value in enumerate(timeline_counts(entries, case.events)):
                totals[group][n] += value
    cells = []
    for group in ("tuning", "aside de", "en", "all", "en (tuning topics)", "en (aside topics)"):
        matched, shown, events, evidenced = totals[group]
        if not events:
            cells.append("-")
            continue
        precision, recall = matched / (shown or 1), matched / events
        f1 = 2 * precision * recall / (precision + recall) if matched else 0.0
        cells.append(f"{f1:.3f}/{evidenced / events:.2f}")
    print(f"{name:34s} " + " | ".join(cells), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--variants", default="month:20,dense,stems:5")
    parser.add_argument("--round", type=int, default=1)
    args = parser.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    assistant = Assistant(Settings(index_dir=args.index_dir, max_top_k=1000))
    cases = collect(assistant, variants)
    for name in ["shipped", *variants]:
        seconds = sorted(c.seconds[name] for c in cases.values())
        print(f"search p50 {name}: {seconds[len(seconds) // 2]:.3f} s")
    print("variant (F1/evidence)              tuning | aside de | en | all | en tuning topics | en aside topics")
    if args.round >= 11:
        night_rounds(assistant, cases, args.round)
        return
    if args.round == 10:
        for bonus in (0.0, 0.05, 0.1, 0.2, 0.3, 0.5):
            with patched_bonus(bonus):
                report(cases, f"same-day bonus {bonus}", "shipped")
        return
    if args.round == 9:
        for gap in (2, 4, 7, 14):
            for extra in (0.25, 0.5, 1.0, 2.0):
                with retrospective(extra, gap):
                    report(cases, f"looked back to from {gap} days: +{extra}", "shipped")
        return
    if args.round == 8:
        for cap in (14, 16, 20):
            for share in (0.0, 0.1, 0.15, 0.2, 0.25, 0.3):
                report(cases, f"at most {cap}, stop below {share}", "shipped", adaptive(share, cap))
        return
    if args.round == 7:
        for pool in variants:
            report(cases, f"pool {pool}", pool)
            report(cases, f"{pool}, beyond 200 named days only", "shipped", per_case=named_only(pool))
        return
    if args.round == 6:
        for mix in (0.25, 0.5, 0.75):
            for count in (10, 30, 100):
                report(cases, f"English feedback {mix} of {count}", "shipped", per_case=feedback(mix, count))
        return
    if args.round == 5:
        for window in (0.05, 0.06, 0.07, 0.09, 0.10, 0.12):
            english = {k: c for k, c in cases.items() if k[1] == "en"}
            with patched_window(window):
                report(english, f"English window {window}", "shipped", shipped)
        for sds in (1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0):
            with spread_window(sds):
                report(cases, f"window {sds} sd", "shipped", shipped)
        return
    if args.round == 4:
        for share in (0.0, 0.25, 0.5, 0.75, 1.0):
            with article_votes(share):
                report(cases, f"article votes {share} for its named day", "shipped", shipped)
        return
    if args.round == 3:
        for implicit in (0.15, 0.3, 0.5):
            for implicit_cap in (1, 2, 3, 1000):
                for explicit_cap in (1, 2, 1000):
                    with per_article(implicit, implicit_cap, explicit_cap):
                        name = f"per article {implicit} x{implicit_cap} named x{explicit_cap}"
                        report(cases, name, "shipped", shipped)
        return
    if args.round == 2:
        second_round(cases, variants)
        return
    for pool in ["shipped", *variants]:
        report(cases, f"pool {pool}", pool, shipped)
    for pool in ["dense", "densesent", "more:300", "stems:5", "stems:10"]:
        if pool in variants:
            report(cases, f"de shipped, en {pool}", "shipped", shipped, pool)
    for share in (0.1, 0.2, 0.3, 0.4, 0.5):
        report(cases, f"adaptive {share}", "shipped", adaptive(share))
    for weight in (0.5, 1.0, 1.5):
        with burst(weight):
            report(cases, f"burst next-day {weight}", "shipped", shipped)


def second_round(cases: dict[tuple[str, str], Case], variants: list[str]) -> None:
    for pool in ["shipped", *variants]:
        report(cases, f"pool {pool}", pool, shipped)
    de_pools = [v for v in variants if v.startswith("stems")][:2]
    en_pools = ["shipped", *[v for v in variants if not v.startswith("stems:")]]
    for de in de_pools:
        for en in en_pools:
            report(cases, f"de {de}, en {en}", de, shipped, en)
    best = de_pools[0]
    for share in (0.1, 0.15, 0.2):
        report(cases, f"{best} adaptive {share}", best, adaptive(share))
    for weight in (0.25, 0.5):
        with burst(weight):
            report(cases, f"{best} burst next-day {weight}", best, shipped)


# --- round 11-13 (night): headlines as event markers, a learned date ranker, days no sentence names -----------


SHIPPED_SCORES = building._day_scores


@dataclass(frozen=True)
class Headlines:
    """The relevant articles' titles' similarity to the question (title vector, passage prompt, embedded as the
    timeline embeds them), and each retrieved article's share of the question's stems (idf-weighted) in its title."""

    similarity: dict[str, float]
    terms: dict[str, float]


def headlines(assistant: Assistant, cases: dict[tuple[str, str], Case]) -> dict[tuple[str, str], Headlines]:
    titles = {p.article_id: p.title for c in cases.values() for pool in c.pools.values() for p in pool}
    sentences: Sentences = Case.sentences  # type: ignore[attr-defined]
    idf = assistant.keyword_index.idf
    found = {}
    for key, case in cases.items():
        stems = set(case.question.stems)
        total = sum(idf(s) for s in stems) or 1.0
        candidates, _ = front(case.pools["shipped"], sentences, case.query)
        relevant = {s.passage.article_id: s.passage.title for s in candidates if s.passage.title}
        distinct = sorted(set(relevant.values()))
        vectors = dict(zip(distinct, embed_titles(distinct), strict=True))
        similarity = {a: float(vectors[title] @ case.query) for a, title in relevant.items()}
        terms = {}
        for article_id in {p.article_id for pool in case.pools.values() for p in pool}:
            held = stems & set(tokenize(titles[article_id]))
            terms[article_id] = sum(idf(s) for s in held) / total
        found[key] = Headlines(similarity, terms)
    return found


def front(passages: list[Passage], sentences: Sentences, query: np.ndarray) -> tuple[list[Sentence], dict]:
    """What `build_timeline` scores: the relevant dated sentences and the days they speak about (background
    days dropped)."""
    candidates = building._relevant(building._dated(passages, sentences, query, None))
    by_day: dict[dt.date, list[Sentence]] = defaultdict(list)
    days = [d for s in candidates if (d := building._day_of(s.passage.published)) is not None]
    earliest = min(days, default=None)
    for s in candidates:
        if earliest is None or s.day >= earliest - building.BACKGROUND:
            by_day[s.day].append(s)
    return candidates, by_day


def published_on(candidates: list[Sentence]) -> dict[dt.date, set[str]]:
    found: dict[dt.date, set[str]] = defaultdict(set)
    for s in candidates:
        if (day := building._day_of(s.passage.published)) is not None:
            found[day].add(s.passage.article_id)
    return found


Scorer = Callable[[Headlines, list[Sentence], Mapping[dt.date, list[Sentence]]], dict[dt.date, float]]


def scored_by(scorer: Scorer, heads: dict[tuple[str, str], Headlines]) -> PerCase:
    """The builder with its day scores from `scorer` (which sees the case's headlines)."""

    def for_case(key: tuple[str, str], case: Case) -> Builder:
        def build(passages: list[Passage], sentences: Sentences, query: np.ndarray) -> list[TimelineEntry]:
            def scores(candidates: list[Sentence], by_day: Mapping[dt.date, list[Sentence]]) -> dict[dt.date, float]:
                return scorer(heads[key], candidates, by_day)

            with mock.patch.object(building, "_day_scores", scores):
                return build_timeline(passages, sentences, query).entries

        return build

    return for_case


def relevant_titles(head: Headlines, articles: set[str], kind: str, cut: float) -> set[str]:
    """The articles among `articles` whose title is relevant: by vector, within `cut` of the best title's
    similarity; by terms, holding at least `cut` of the question's stems (idf-weighted)."""
    if kind == "vec":
        best = max((head.similarity.get(a, -1.0) for a in articles), default=0.0)
        return {a for a in articles if head.similarity.get(a, -1.0) >= best - cut}
    return {a for a in articles if head.terms[a] >= cut}


def headline_scorer(kind: str, cut: float, weight: float, before: float, plain: float = 1.0) -> Scorer:
    """Shipped scores, with each relevant article published on a day counting `plain` (1 as shipped) plus
    `weight` when its title is relevant, and `before` for the day before when its title is relevant."""

    def scorer(head: Headlines, candidates: list[Sentence], by_day: Mapping[dt.date, list[Sentence]]) -> dict:
        published = published_on(candidates)
        marked = relevant_titles(head, {s.passage.article_id for s in candidates}, kind, cut)
        result = {}
        for day, group in by_day.items():
            said = sum(building.EXPLICIT_WEIGHT if s.explicit else building.IMPLICIT_WEIGHT for s in group)
            there = published.get(day, set())
            after = published.get(day + dt.timedelta(days=1), set())
            articles = plain * len(there - marked) + (plain + weight) * len(there & marked)
            result[day] = said + building.ARTICLE_WEIGHT * articles + before * len(after & marked)
        return result

    return scorer


def unnamed_scorer(factor: float, reach: int, base: Scorer | None = None) -> Scorer:
    """Shipped scores (or `base`'s), a day multiplied by `factor` when no relevant sentence names it or a day
    within `reach`."""

    def scorer(head: Headlines, candidates: list[Sentence], by_day: Mapping[dt.date, list[Sentence]]) -> dict:
        result = base(head, candidates, by_day) if base else SHIPPED_SCORES(candidates, by_day)
        named = {d for d, group in by_day.items() if any(s.explicit for s in group)}
        for day in result:
            if not any(day + dt.timedelta(days=n) in named for n in range(-reach, reach + 1)):
                result[day] *= factor
        return result

    return scorer


@contextmanager
def sentences_by_headline(implicit: float, explicit: float) -> Iterator[None]:
    """Days scored with a sentence naming no day weighing `implicit` when its article's headline does not name
    the story, and one naming its day weighing `explicit` when it does (the case's headline test)."""

    def scores(candidates: list[Sentence], by_day: Mapping[dt.date, list[Sentence]]) -> dict[dt.date, float]:
        names = names_story()
        titled = {s.passage.article_id for s in candidates if names is not None and names(s.passage.title)}
        published = published_on(candidates)
        result = {}
        for day, group in by_day.items():
            said = 0.0
            for s in group:
                if s.explicit:
                    said += explicit if s.passage.article_id in titled else building.EXPLICIT_WEIGHT
                else:
                    said += building.IMPLICIT_WEIGHT if s.passage.article_id in titled else implicit
            result[day] = said + building.ARTICLE_WEIGHT * len(published.get(day, ()))
        return result

    with mock.patch.object(building, "_day_scores", scores):
        yield


@contextmanager
def background_days(factor: float, reach: int) -> Iterator[None]:
    """The shipped builder with a day multiplied by `factor` (before the headlines are weighed) when no relevant
    sentence names it or a day within `reach`, and no article headlined with the story appeared on it or the day
    after: neither a sentence nor a headline marks it as an event."""

    def scores(candidates: list[Sentence], by_day: Mapping[dt.date, list[Sentence]]) -> dict[dt.date, float]:
        result = SHIPPED_SCORES(candidates, by_day)
        names = names_story()
        named = {d for d, group in by_day.items() if any(s.explicit for s in group)}
        marked: set[dt.date] = set()
        for s in candidates:
            day = building._day_of(s.passage.published)
            if day is not None and names is not None and names(s.passage.title):
                marked |= {day, day - dt.timedelta(days=1)}
        for day in result:
            near = {day + dt.timedelta(days=n) for n in range(-reach, reach + 1)}
            if not near & named and day not in marked:
                result[day] *= factor
        return result

    with mock.patch.object(building, "_day_scores", scores):
        yield


def unnamed_days(factor: float, reach: int) -> Callable[[list[Sentence], Mapping[dt.date, list[Sentence]]], dict]:
    def scores(candidates: list[Sentence], by_day: Mapping[dt.date, list[Sentence]]) -> dict[dt.date, float]:
        return unnamed_scorer(factor, reach)(Headlines({}, {}), candidates, by_day)

    return scores


FEATURES = (
    "explicit", "implicit", "published", "named_articles", "named_outlets", "best", "mean", "later",
    "headlines", "title_best", "neighbours", "shipped",
)  # fmt: skip


def day_features(
    head: Headlines, candidates: list[Sentence], by_day: Mapping[dt.date, list[Sentence]], cut: float = 0.05
) -> dict[dt.date, np.ndarray]:
    """Per candidate day, the features of a supervised date ranker (Martschat and Markert 2018; news-tls)."""
    shipped_scores = SHIPPED_SCORES(candidates, by_day)
    published = published_on(candidates)
    top = max(s.relevance for s in candidates)
    articles = {s.passage.article_id for s in candidates}
    marked = relevant_titles(head, articles, "vec", cut)
    best_title = max(head.similarity.get(a, -1.0) for a in articles)
    found = {}
    one = dt.timedelta(days=1)
    for day, group in by_day.items():
        named = [s for s in group if s.explicit]
        near = published.get(day, set()) | published.get(day + one, set())
        later = [s for s in named if (p := building._day_of(s.passage.published)) is not None and (p - day).days >= 2]
        relevances = [s.relevance for s in group]
        found[day] = np.array([
            np.log1p(len(named)),
            np.log1p(len(group) - len(named)),
            np.log1p(len(published.get(day, ()))),
            np.log1p(len({s.passage.article_id for s in named})),
            np.log1p(len({s.passage.source for s in named})),
            max(relevances) - top,
            float(np.mean(relevances)) - top,
            np.log1p(len(later)),
            np.log1p(len(near & marked)),
            max((head.similarity.get(a, -1.0) for a in near), default=best_title - 0.2) - best_title,
            np.log1p(shipped_scores.get(day - one, 0.0) + shipped_scores.get(day + one, 0.0)),
            np.log1p(shipped_scores[day]),
        ])  # fmt: skip
    return found


def ranker_data(
    cases: dict[tuple[str, str], Case], heads: dict[tuple[str, str], Headlines], keys: set[tuple[str, str]]
) -> tuple[np.ndarray, np.ndarray]:
    rows, labels = [], []
    sentences: Sentences = Case.sentences  # type: ignore[attr-defined]
    for key in sorted(keys):
        case = cases[key]
        candidates, by_day = front(case.pools["shipped"], sentences, case.query)
        gold = [e.day for e in case.events]
        for day, row in day_features(heads[key], candidates, by_day).items():
            rows.append(row)
            labels.append(int(any(abs((day - g).days) <= 1 for g in gold)))
    return np.array(rows), np.array(labels)


def fit_ranker(x: np.ndarray, y: np.ndarray, columns: list[int], c: float) -> tuple[np.ndarray, float]:
    """Logistic regression on the standardised `columns`, folded back to raw coefficients and an intercept."""
    from sklearn.linear_model import LogisticRegression

    part = x[:, columns]
    mean, sd = part.mean(axis=0), part.std(axis=0) + 1e-9
    model = LogisticRegression(C=c, max_iter=2000).fit((part - mean) / sd, y)
    coef = model.coef_[0] / sd
    return coef, float(model.intercept_[0] - coef @ mean)


def ranker_scorer(columns: list[int], coef: np.ndarray, intercept: float) -> Scorer:
    def scorer(head: Headlines, candidates: list[Sentence], by_day: Mapping[dt.date, list[Sentence]]) -> dict:
        features = day_features(head, candidates, by_day)
        return {d: float(1 / (1 + np.exp(-(row[columns] @ coef + intercept)))) for d, row in features.items()}

    return scorer


FEATURE_SETS = {
    "all": list(range(len(FEATURES))),
    "no titles": [i for i, f in enumerate(FEATURES) if f not in ("headlines", "title_best")],
    "counts": [FEATURES.index(f) for f in ("explicit", "implicit", "published", "named_articles", "later")],
    "counts+titles": [
        FEATURES.index(f)
        for f in ("explicit", "implicit", "published", "named_articles", "later", "headlines", "title_best")
    ],
    "shipped+titles": [FEATURES.index(f) for f in ("shipped", "headlines", "title_best", "neighbours")],
}


def night_rounds(assistant: Assistant, cases: dict[tuple[str, str], Case], round_: int) -> None:
    heads = headlines(assistant, cases)
    report(cases, "without headlines (before)", "shipped", without_headlines)
    report(cases, "shipped", "shipped")
    if round_ == 11:
        for kind, cuts in (("vec", (0.02, 0.04, 0.06)), ("terms", (0.5, 0.99))):
            for cut in cuts:
                for weight, before in ((0.5, 0.0), (1.0, 0.0), (2.0, 0.0), (0.0, 0.5), (1.0, 0.5), (1.0, 1.0)):
                    name = f"headline {kind} {cut}: +{weight}, day before +{before}"
                    report(
                        cases, name, "shipped", per_case=scored_by(headline_scorer(kind, cut, weight, before), heads)
                    )
                name = f"headline {kind} {cut}: only titled articles count"
                report(cases, name, "shipped", per_case=scored_by(headline_scorer(kind, cut, 0.0, 0.0, 0.0), heads))
                name = f"headline {kind} {cut}: titled 2, others 0.5"
                report(cases, name, "shipped", per_case=scored_by(headline_scorer(kind, cut, 1.5, 0.0, 0.5), heads))
        return
    if round_ == 12:
        x, y = ranker_data(cases, heads, TUNE)
        print(f"ranker data: {len(y)} tuning days, {int(y.sum())} within a day of a gold event")
        for name, columns in FEATURE_SETS.items():
            for c in (0.1, 1.0, 10.0):
                coef, intercept = fit_ranker(x, y, columns, c)
                scorer = ranker_scorer(columns, coef, intercept)
                report(cases, f"ranker {name} C={c}", "shipped", per_case=scored_by(scorer, heads))
                held = []  # each tuning topic scored by a ranker fitted on the other two
                for key in sorted(TUNE):
                    xo, yo = ranker_data(cases, heads, TUNE - {key})
                    coef_o, intercept_o = fit_ranker(xo, yo, columns, c)
                    held.append((key, ranker_scorer(columns, coef_o, intercept_o)))
                counts = [0, 0, 0, 0]
                for key, scorer_o in held:
                    pooled: Sentences = Case.sentences  # type: ignore[attr-defined]
                    entries = scored_by(scorer_o, heads)(key, cases[key])(
                        cases[key].pools["shipped"], pooled, cases[key].query
                    )
                    counts = [a + b for a, b in zip(counts, timeline_counts(entries, cases[key].events), strict=True)]
                matched, shown, events, evidenced = counts
                f1 = 2 * matched / (shown + events)
                print(f"    tuning, each topic by a ranker of the other two: {f1:.3f}/{evidenced / events:.2f}")
                if name == "all" and c == 1.0:
                    print("    " + ", ".join(f"{FEATURES[i]} {w:+.3f}" for i, w in zip(columns, coef, strict=True)))
        return
    if round_ == 19:  # on the shipped builder (headlines weighed): sentences by their article's headline
        for implicit, explicit in ((0.0, 1.0), (0.075, 1.0), (0.15, 1.5), (0.15, 2.0), (0.075, 1.5)):
            with sentences_by_headline(implicit, explicit):
                report(cases, f"unheadlined implicit x{implicit}, headlined named x{explicit}", "shipped")
        for factor, reach in ((0.75, 1), (0.5, 1), (0.75, 0)):
            with mock.patch.object(building, "_day_scores", unnamed_days(factor, reach)):
                report(cases, f"shipped, unnamed days x{factor} (reach {reach})", "shipped")
        for factor in (0.5, 0.75, 0.85):
            for reach in (0, 1):
                with background_days(factor, reach):
                    report(cases, f"shipped, days unnamed and unheadlined x{factor} (reach {reach})", "shipped")
        return
    if round_ == 18:
        for cut in (0.4, 0.5, 0.6):
            for weight in (0.5, 1.0, 1.5, 2.0):
                for before in (0.5, 1.0, 1.5):
                    scorer = headline_scorer("terms", cut, weight, before, 1.0)
                    name = f"terms {cut}: titled +{weight}, day before +{before}"
                    report(cases, name, "shipped", per_case=scored_by(scorer, heads))
        return
    if round_ == 17:
        for cut in (0.4, 0.5):
            for before in (0.0, 0.5):
                terms = headline_scorer("terms", cut, 1.5, before, 0.5)
                for factor, reach in ((1.0, 0), (0.75, 1), (0.5, 1), (0.75, 0)):
                    name = f"terms {cut} (2 / 0.5, before +{before}), unnamed x{factor} reach {reach}"
                    report(cases, name, "shipped", per_case=scored_by(unnamed_scorer(factor, reach, terms), heads))
        return
    if round_ == 16:
        for cut in (0.3, 0.4, 0.5, 0.6, 0.7):
            for plain, weight, before in (
                (1.0, 1.0, 1.0), (1.0, 1.0, 0.5), (1.0, 0.5, 1.0), (1.0, 1.5, 1.5), (0.5, 1.5, 0.0), (0.5, 1.0, 0.0),
                (0.5, 2.5, 0.0), (0.75, 1.25, 0.0), (0.5, 1.5, 0.5), (0.5, 1.5, 1.0),
            ):  # fmt: skip
                scorer = headline_scorer("terms", cut, weight, before, plain)
                name = f"terms {cut}: titled {plain + weight}, others {plain}, day before +{before}"
                report(cases, name, "shipped", per_case=scored_by(scorer, heads))
        return
    if round_ == 14:
        for kind in ("vec",):
            for cut in (0.02, 0.03, 0.04, 0.05, 0.06):
                for weight in (1.0, 1.5, 2.0, 3.0):
                    for before in (0.0, 0.5, 1.0):
                        scorer = headline_scorer(kind, cut, weight, before)
                        name = f"headline {kind} {cut}: +{weight}, day before +{before}"
                        report(cases, name, "shipped", per_case=scored_by(scorer, heads))
        return
    if round_ == 13:
        for factor in (0.0, 0.25, 0.5, 0.75):
            for reach in (0, 1):
                name = f"unnamed days x{factor} (reach {reach})"
                report(cases, name, "shipped", per_case=scored_by(unnamed_scorer(factor, reach), heads))


if __name__ == "__main__":
    main()
