"""What story assignment and a digest cost as the archive grows: FANG-COVID (2,076 articles) against the same
archive grown to about 100,000 articles, in one run (a ratio, since timings here are noisy).

Indexing 100,000 articles with the model takes days here, so the large archive is synthesized: copies of the real
archive shifted back in time by 420 days each (the feed rate of the real one, over decades), with the real
articles' lead vectors and terms and their stories (the copy's number in every id, so no copy shares a story with
another; the same words, so every word's idf stays the real one). Story assignment needs only vectors, days and
terms, so the story book and the lead-vector store are built directly:

- assignment: the last `--assign` real articles (by publication) are taken out of the book and assigned again by the
  production `StoryAssigner` against a real story book on disk (its candidates: the nearest members of the time
  window; the Chroma store of lead vectors beside it is asked only for undated articles); once with the 2,076
  articles, once with all copies before them;
- digest and story list: the production `Assistant.digest` / `Assistant.stories` on an index of the 2,076 articles
  built with the hashing stand-in encoder (`bench_digest.py --scale`, reused from ``--index``), and on a copy of it
  whose record and book also hold the copies (a head, one chunk and one sentence each).

The real stories come from the production assigner's run (`bench_stories.py`), saved with ``--found``.

    python bench/bench_stories_scale.py --index stories-scale/with --leads stories-cache --work scale-work --copies 47
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_stories import fang_articles, lead_store, lead_vectors, unique

from assistant.articles import Article
from assistant.core import Assistant
from assistant.indexing.records import ChunkRecord, Records, SentenceRecord
from assistant.settings import Settings
from assistant.stories.assigning import BOOK_FILE, StoryAssigner
from assistant.stories.book import StoryBook, _rebuild
from assistant.stories.clustering import Params, unit
from assistant.stories.days import ordinal
from assistant.stories.terms import article_terms

SHIFT_DAYS = 420
WINDOWS = [("2020-09-10", "2020-09-10"), ("2020-09-11", "2020-09-13"), ("2020-09-14", "2020-09-20")]


def shifted(day: str | None, copy: int) -> str | None:
    if not day or copy == 0:
        return day
    return (dt.date.fromisoformat(day) - dt.timedelta(days=SHIFT_DAYS * copy)).isoformat()


def copy_of(article: Article, copy: int) -> Article:
    if copy == 0:
        return article
    return Article(
        id=f"c{copy}:{article.id}",
        text=article.text[:300],
        title=article.title,
        source=article.source,
        url=f"{article.url}#c{copy}",
        published=shifted(article.published, copy),
    )


def suffixed(terms: dict[str, float], copy: int) -> dict[str, float]:
    """A copy's terms: the same words (so every word's share of the archive, its idf, stays the real one)."""
    return terms


def build_book(
    path: Path, articles: list[Article], vectors: np.ndarray, found: dict[str, str], copies: int, skip: set[str]
) -> None:
    """A story book holding every copy's members (real vectors, days, terms; the real stories), profiles rebuilt
    from them as the book does after a merge."""
    book = StoryBook(path)
    terms = {a.id: article_terms(a.title, a.text) for a in articles}
    order = sorted(range(len(articles)), key=lambda i: (articles[i].published or "", articles[i].id))
    db = book._db
    db.execute("BEGIN")
    seq = 0
    df: dict[str, int] = {}
    stories: set[str] = set()
    for copy in range(copies, -1, -1):  # oldest first
        rows = []
        for i in order:
            a = articles[i]
            if copy == 0 and a.id in skip:
                continue
            c = copy_of(a, copy)
            story = found[a.id] if copy == 0 else f"{found[a.id]}~{copy}"
            t = suffixed(terms[a.id], copy)
            seq += 1
            rows.append((c.id, story, ordinal(c.published), unit(vectors[i]).tobytes(), json.dumps(t), seq, story))
            for term in t:
                df[term] = df.get(term, 0) + 1
            stories.add(story)
        db.executemany("INSERT INTO members VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    db.executemany("INSERT INTO df VALUES (?, ?)", list(df.items()))
    for story in sorted(stories):
        _rebuild(db, story)
    db.execute("COMMIT")
    book.close()


def assignment_cost(
    work: Path, articles: list[Article], vectors: np.ndarray, found: dict[str, str], copies: int, n: int, params: Params
) -> dict[str, object]:
    """Seconds per article to assign the last `n` real articles, with the archive of `copies` copies before them."""
    order = sorted(range(len(articles)), key=lambda i: (articles[i].published or "", articles[i].id))
    last = order[-n:]
    folder = work / f"assign-{copies}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    start = time.perf_counter()
    build_book(folder / BOOK_FILE, articles, vectors, found, copies, {articles[i].id for i in last})
    store = lead_store(articles, vectors, folder / "chroma")  # asked only for undated articles (these are dated)
    built = time.perf_counter() - start
    assigner = StoryAssigner(folder, params)
    costs = []
    try:
        for i in last:  # one article per call, as a feed indexes them one by one
            begin = time.perf_counter()
            assigner.assign([(articles[i], vectors[i])], store)
            costs.append(time.perf_counter() - begin)
        members = assigner.book.article_count()
    finally:
        assigner.close()
        store.close()
    ms = sorted(1000 * c for c in costs)
    return {
        "archive": members,
        "build_seconds": round(built, 1),
        "ms_median": round(statistics.median(ms), 1),
        "ms_p95": round(ms[int(0.95 * (len(ms) - 1))], 1),
    }


def grown_index(index: Path, work: Path, articles: list[Article], vectors: np.ndarray, found: dict[str, str],
                copies: int, reuse: bool) -> Path:  # fmt: skip
    """A copy of the stand-in index whose record also holds the copies (head, one chunk, one sentence each) and
    whose book is built from the real stories."""
    folder = work / f"index-{copies}"
    if reuse and (folder / BOOK_FILE).exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(index, folder, ignore=shutil.ignore_patterns(BOOK_FILE + "*"))
    records = Records(folder / "records.sqlite3")
    try:
        for copy in range(1, copies + 1):
            for i, article in enumerate(articles):
                c = copy_of(article, copy)
                chunk = ChunkRecord(f"{c.id}#0", c.id, 0, 0, len(c.text))
                sentence = SentenceRecord(chunk.id, 0, len(c.text), unit(vectors[i]), None)
                records.commit_article(c, f"copy{copy}", [chunk], [sentence])
    finally:
        records.close()
    build_book(folder / BOOK_FILE, articles, vectors, found, copies, set())
    return folder


def view_cost(folder: Path) -> dict[str, float]:
    """Seconds for the story list and the digests of `WINDOWS` (a fresh `Assistant`, as a CLI run)."""
    helper = Assistant(Settings(index_dir=folder, stories=True))
    timings: dict[str, float] = {}
    try:
        start = time.perf_counter()
        helper._story_book()  # the catch-up finds nothing to do; the first look of a book notes the match
        timings["catch-up (first look: every id compared)"] = time.perf_counter() - start
        start = time.perf_counter()
        helper._story_book()  # the book noted that it matched the record: only the arrivals since are read
        timings["catch-up (nothing to do)"] = time.perf_counter() - start
        for since, until in WINDOWS:
            start = time.perf_counter()
            helper.digest(since, until)
            timings[f"digest {since}..{until}"] = time.perf_counter() - start
        start = time.perf_counter()
        timings["stories listed"] = len(helper.stories())
        timings["stories (all)"] = time.perf_counter() - start
        start = time.perf_counter()
        helper.stories(since=WINDOWS[0][0], until=WINDOWS[0][1])
        timings[f"stories {WINDOWS[0][0]}"] = time.perf_counter() - start
    finally:
        helper.close()
    return {k: round(v, 3) for k, v in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, help="the stand-in index of the 2,076 articles (bench_digest --scale)")
    parser.add_argument("--leads", type=Path, required=True, help="the lead-vector cache of bench_stories.py")
    parser.add_argument("--found", type=Path, required=True, help="article id -> story id of the production run")
    parser.add_argument("--work", type=Path, required=True, help="folder for the built archives")
    parser.add_argument("--copies", type=int, default=47, help="copies for the large archive (47: ~100,000)")
    parser.add_argument("--assign", type=int, default=100, help="articles assigned again at each size (0: none)")
    parser.add_argument("--settle-size", type=int, default=Params.settle_size, help="stories decided again (2: lone)")
    parser.add_argument("--reuse", action="store_true", help="reuse the grown indexes of an earlier run in --work")
    args = parser.parse_args()
    articles = unique(fang_articles())
    vectors = lead_vectors(articles, args.leads)
    found = json.loads(args.found.read_text(encoding="utf-8"))
    result: dict[str, object] = {}
    for copies in (0, args.copies) if args.assign else ():
        params = Params(settle_size=args.settle_size)
        result[f"assign, {copies} copies"] = assignment_cost(
            args.work, articles, vectors, found, copies, args.assign, params
        )
        print(json.dumps(result), flush=True)
    if args.index:
        for copies in (0, args.copies):
            folder = grown_index(args.index, args.work, articles, vectors, found, copies, args.reuse)
            result[f"views, {copies} copies"] = view_cost(folder)
            print(json.dumps(result), flush=True)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
