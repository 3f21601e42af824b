"""Digest and outlet comparison on FANG-COVID, and what story assignment costs at indexing, in one run.

Two indexes:
- ``--scale DIR``: all 2,076 articles indexed with the hashing stand-in encoder of `bench_scale` (the model would
  take hours here): indexing with story assignment against without (the same articles, alternating groups into
  two folders, so the machine's load hits both alike), its growth over the archive, and the cost of a digest
  and of the story list at 2,076 articles;
- ``--real DIR``: an index built with the bundled model (the articles of 2020-09-01..20 and 2020-06-15..30, as
  `--build-real` makes it): repeats in digests (digest sentences nearly repeating a sentence any article published
  before the window: cosine >= the digest's REPEAT, and word overlap >= 0.9), updates, and outlet comparisons
  (quotes verbatim, outlets quoted per answer, the "differs" pairs printed for checking by hand);
- ``--arrivals DIR``: the digest of arrivals (`digest --arrived-since`, "seit meinem letzten Besuch") on an index
  built with the model: the articles of 2020-09-01..10 indexed day by day except every third of 09-08..10 (held
  back), a reader looks, then 09-11..12 and the held-back (older) articles arrive. Whether every arrival is in the
  digest, how many late (older) articles bring sentences, repeats of what had arrived before the look (cosine >=
  REPEAT, word overlap >= 0.9; goal 0), and what the publication-window digest from the look's day shows instead.

    python bench/bench_digest.py --scale stories-scale --real stories-real --build-real
    python bench/bench_digest.py --arrivals stories-arrivals
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_scale import HashingEmbeddings
from bench_stories import FANG, fang_articles, unique

from assistant.articles import Article
from assistant.core import Assistant
from assistant.indexing.records import Records
from assistant.protocols import VectorStore
from assistant.settings import Settings
from assistant.stories.assigning import StoryAssigner
from assistant.stories.digest import REPEAT
from assistant.stories.sentences import Sentence, sentences_of

REAL_PERIODS = (("2020-09-01", "2020-09-20"), ("2020-06-15", "2020-06-30"))
WINDOWS = (("2020-09-09", "2020-09-09"), ("2020-09-10", "2020-09-10"), ("2020-09-11", "2020-09-13"),
           ("2020-09-14", "2020-09-20"), ("2020-06-20", "2020-06-22"))  # fmt: skip
QUESTIONS = (
    "Wie berichten die Medien über den Brand im Lager Moria?",
    "Wo unterscheiden sich die Darstellungen zum Corona-Ausbruch bei Tönnies?",
    "How do outlets differ on the lockdown in Gütersloh?",
    "Wie berichten die Medien über die Aufnahme von Flüchtlingen aus Moria?",
)


def by_date(articles: list[Article]) -> list[Article]:
    return sorted(articles, key=lambda a: (a.published or "", a.id))


class TimedAssigner(StoryAssigner):
    """The production assigner, timing each call of the indexer's hook (to see its growth with the archive)."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.seconds = 0.0
        self.articles = 0

    def assign(self, articles: list[tuple[Article, np.ndarray]], store: VectorStore, *, push: bool = True) -> None:
        start = time.perf_counter()
        super().assign(articles, store, push=push)
        self.seconds += time.perf_counter() - start
        self.articles += len(articles)


def scale(folder: Path, articles: list[Article], group: int, side_by_side: int) -> dict[str, object]:
    """All articles indexed with stories (stand-in encoder), the story hook timed per group; the first
    `side_by_side` also into a folder without stories, alternating, for the ratio; then digests and the list."""
    embedder = HashingEmbeddings()
    timed = TimedAssigner(folder / "with")
    helper = Assistant(Settings(index_dir=folder / "with"), embeddings=embedder, stories=timed)
    plain = Assistant(Settings(index_dir=folder / "without", stories=False), embeddings=embedder)
    seconds = {True: 0.0, False: 0.0}
    growth = []
    for lo in range(0, len(articles), group):
        before = (timed.seconds, timed.articles)
        start = time.perf_counter()
        helper.index(articles[lo : lo + group])
        if lo < side_by_side:
            seconds[True] += time.perf_counter() - start
            start = time.perf_counter()
            plain.index(articles[lo : lo + group])
            seconds[False] += time.perf_counter() - start
        done = timed.articles - before[1]
        growth.append([lo + group, round(1000 * (timed.seconds - before[0]) / max(1, done), 1)])
    timings = {}
    for since, until in WINDOWS:
        start = time.perf_counter()
        helper.digest(since, until)
        timings[f"digest {since}..{until}"] = round(time.perf_counter() - start, 3)
    start = time.perf_counter()
    count = len(helper.stories())
    timings["stories (all)"] = round(time.perf_counter() - start, 3)
    helper.close()
    plain.close()
    return {
        "articles": len(articles),
        "stories": count,
        "side_by_side_articles": min(side_by_side, len(articles)),
        "index_seconds_with_stories": round(seconds[True], 2),
        "index_seconds_without": round(seconds[False], 2),
        "story_hook_ms_per_article_by_archive_size": growth,
        "seconds": timings,
    }


def real(folder: Path, build: bool, articles: list[Article]) -> dict[str, object]:
    helper = Assistant(Settings(index_dir=folder))
    if build:
        for lo, hi in REAL_PERIODS:
            helper.index(by_date([a for a in articles if a.published and lo <= a.published <= hi]))
    records = helper.records()
    every = list(records.articles())
    digests = []
    for since, until in WINDOWS:
        start = time.perf_counter()
        stories = helper.digest(since, until)
        took = time.perf_counter() - start
        before = [a for a in every if a.published and a.published < since]
        earlier, vectors = sentences_of(records, before)
        words = [set(s.text.lower().split()) for s in earlier]
        shown = [i for d in stories for i in d.items]
        semantic = lexical = 0
        for item in shown:
            text = records.article(item.sentence.article_id).text
            assert text[item.sentence.start : item.sentence.end] == item.sentence.text
            v = _vector(records, item.sentence)
            if item.earlier is None and vectors.size and float(np.max(vectors @ v)) >= REPEAT:
                semantic += 1
            mine = set(item.sentence.text.lower().split())
            if item.earlier is None and any(len(mine & w) / max(1, len(mine | w)) >= 0.9 for w in words):
                lexical += 1
        digests.append({
            "window": f"{since}..{until}", "stories": len(stories), "sentences": len(shown),
            "updates": sum(i.earlier is not None for i in shown), "repeats_cosine": semantic,
            "repeats_words": lexical, "left_out": sum(d.left_out for d in stories), "seconds": round(took, 3),
            "update_pairs": [[i.earlier.text, i.sentence.text] for i in shown if i.earlier is not None][:3],
        })  # fmt: skip
    comparisons = []
    for question in QUESTIONS:
        start = time.perf_counter()
        c = helper.compare(question)
        took = time.perf_counter() - start
        quotes = [s.quote for s in c.shared + c.single] + [x for d in c.differences for x in (d.a, d.b)]
        verbatim = sum(records.article(q.article_id).text[q.start : q.end] == q.text for q in quotes)
        comparisons.append({
            "question": question, "story": c.title, "story_outlets": len(c.outlets),
            "outlets_quoted": len(c.shown_outlets()), "quotes": len(quotes), "verbatim": verbatim,
            "shared": len(c.shared), "single": len(c.single), "differences": len(c.differences),
            "seconds": round(took, 2),
            "differs": [[d.change, f"{d.a.source}: {d.a.text}", f"{d.b.source}: {d.b.text}"] for d in c.differences],
        })  # fmt: skip
    helper.close()
    return {"articles": len(every), "digests": digests, "comparisons": comparisons}


ARRIVALS_BEFORE = ("2020-09-01", "2020-09-10")
ARRIVALS_AFTER = ("2020-09-11", "2020-09-12")
HELD_BACK = ("2020-09-08", "2020-09-10")


def arrivals(folder: Path, articles: list[Article]) -> dict[str, object]:
    """Index, look, index newer and held-back older articles; the arrivals digest against what arrived before."""
    helper = Assistant(Settings(index_dir=folder))
    first = by_date([a for a in articles if a.published and ARRIVALS_BEFORE[0] <= a.published <= ARRIVALS_BEFORE[1]])
    late = [a for a in first if HELD_BACK[0] <= a.published <= HELD_BACK[1]][::3]  # type: ignore[operator]
    held = {a.id for a in late}
    start = time.perf_counter()
    for day in sorted({a.published for a in first if a.id not in held}):
        helper.index([a for a in first if a.published == day and a.id not in held])
    built = time.perf_counter() - start
    looked = time.time()
    newer = by_date([a for a in articles if a.published and ARRIVALS_AFTER[0] <= a.published <= ARRIVALS_AFTER[1]])
    for day in sorted({a.published for a in newer}):
        helper.index([a for a in newer if a.published == day])
    helper.index(late)
    start = time.perf_counter()
    stories = helper.digest(arrived_since=looked)
    took = time.perf_counter() - start
    records = helper.records()
    seen = [a for a in first if a.id not in held]
    earlier, vectors = sentences_of(records, seen)
    words = [set(s.text.lower().split()) for s in earlier]
    shown = [i for d in stories for i in d.items]
    semantic = lexical = 0
    for item in shown:
        assert records.article(item.sentence.article_id).text[item.sentence.start : item.sentence.end] == (
            item.sentence.text
        )
        if item.earlier is not None:
            continue
        v = _vector(records, item.sentence)
        semantic += bool(vectors.size and float(np.max(vectors @ v)) >= REPEAT)
        mine = set(item.sentence.text.lower().split())
        lexical += any(len(mine & w) / max(1, len(mine | w)) >= 0.9 for w in words)
    in_digest = {aid for d in stories for aid in d.new_articles}
    arrived = held | {a.id for a in newer}
    window = helper.digest(ARRIVALS_AFTER[0])
    helper.close()
    return {
        "articles_before_look": len(seen), "arrived": len(arrived), "late_older_articles": len(held),
        "build_seconds": round(built, 1), "digest_seconds": round(took, 3),
        "stories": len(stories), "sentences": len(shown), "updates": sum(i.earlier is not None for i in shown),
        "left_out": sum(d.left_out for d in stories), "more": sum(d.more for d in stories),
        "arrivals_in_digest": len(in_digest & arrived), "not_arrived_in_digest": len(in_digest - arrived),
        "late_articles_with_sentences": len({i.sentence.article_id for i in shown} & held),
        "repeats_cosine": semantic, "repeats_words": lexical,
        "window_digest_from_look_day": {
            "articles": len({aid for d in window for aid in d.new_articles}),
            "late_articles": len({aid for d in window for aid in d.new_articles} & held),
        },
    }  # fmt: skip


def _vector(records: Records, sentence: Sentence) -> np.ndarray:
    chunks = [c.id for c in records.chunks_of(sentence.article_id)]
    for found in records.sentences_of(chunks).values():
        for s in found:
            if s.start == sentence.start and s.end == sentence.end:
                return s.vector / (float(np.linalg.norm(s.vector)) or 1.0)
    raise LookupError(sentence)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=Path, help="folder for the stand-in indexes (built if missing)")
    parser.add_argument("--group", type=int, default=200, help="articles per indexing call in --scale")
    parser.add_argument("--side-by-side", type=int, default=400, help="articles indexed without stories too")
    parser.add_argument("--real", type=Path, help="an index built with the model (see --build-real)")
    parser.add_argument("--build-real", action="store_true", help="index the two periods into --real first")
    parser.add_argument("--arrivals", type=Path, help="an empty folder: the arrivals digest's index is built there")
    args = parser.parse_args()
    if not (FANG / "articles.jsonl").exists():
        sys.exit("the FANG-COVID data set is not there (../shared/data/fang-covid)")
    articles = unique(fang_articles())
    result: dict[str, object] = {}
    if args.scale:
        result["scale"] = scale(args.scale, by_date(articles), args.group, args.side_by_side)
    if args.real:
        result["real"] = real(args.real, args.build_real, articles)
    if args.arrivals:
        result["arrivals"] = arrivals(args.arrivals, articles)
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
