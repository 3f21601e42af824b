"""Story clustering on FANG-COVID, side by side with a plain baseline, in one run.

Labels: the five stories' keyword sets (README of the data set) give coarse labels: an article belongs to a topic
when a keyword is in its headline or at least twice in its text, and to no other topic (the rest: unlabeled).
Measures:
- recall: of the pairs of articles of one topic published within three days of each other, the share put into
  one story (goal >= 0.70);
- false merges: of the pairs of articles of two different topics, the share put into one story (goal <= 0.01);
- gold events: of the pairs of articles timelines.json cites for the same event, the share together (>= 0.80);
- cost: milliseconds per article to assign its story (ours: the production code, `StoryAssigner`, with a real
  Chroma store and story book on disk).

The articles' lead vectors (the first chunk, as the indexer stores it) are embedded once into ``--cache`` and reused.
The baseline is single-pass clustering on the same chunk vectors with a fixed cosine threshold and no time: an
article joins the most similar story centroid at or above the threshold, else starts one.

    python bench/bench_stories.py --cache stories-cache
    python bench/bench_stories.py --cache stories-cache --group day          # a day's articles per call
    python bench/bench_stories.py --cache stories-cache --group day --settle-size 2   # settling lone articles only
    python bench/bench_stories.py --cache stories-cache --indexing 40   # + indexing cost with/without stories
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from assistant.articles import Article
from assistant.chunking import chunk_text
from assistant.dates import day_number
from assistant.indexing.store import ChromaStore, StoredChunk, open_client
from assistant.ingest.loading import load_paths
from assistant.stories.assigning import StoryAssigner
from assistant.stories.clustering import Params, unit
from assistant.stories.days import ordinal

PAIR_DAYS = 3
TUNE_TOPICS = "toennies,heinsberg,moria"
"""The topics whose labels the knobs were tuned on (the other two, warnapp and wirecard, are held out)."""
FANG = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "fang-covid"


def fang_articles() -> list[Article]:
    """FANG-COVID's archive as `assistant index` reads it: the loader knows its field names (``header``,
    ``article``, ``date``, ``source``, ``url``), the id is the URL, and the three repeated URLs are refused."""
    return load_paths([FANG / "articles.jsonl"], id_base=FANG).articles


def unique(articles: list[Article]) -> list[Article]:
    seen: set[str] = set()
    kept = []
    for article in articles:
        if article.id not in seen:
            seen.add(article.id)
            kept.append(article)
    return kept


def labels(articles: list[Article], timelines: list[dict]) -> dict[str, str]:
    """Article id -> topic, for articles that belong to exactly one topic by its keywords."""
    found = {}
    for article in articles:
        header, text = article.title.lower(), article.text.lower()
        topics = [
            t["topic"]
            for t in timelines
            if any(k in header for k in t["keywords"]) or sum(text.count(k) for k in t["keywords"]) >= 2
        ]
        if len(topics) == 1:
            found[article.id] = topics[0]
    return found


def gold_pairs(timelines: list[dict], known: set[str], part: set[str] | None = None) -> list[tuple[str, str]]:
    pairs = set()
    for timeline in timelines:
        if part is not None and timeline["topic"] not in part:
            continue
        for event in timeline["events"]:
            urls = sorted({e["url"] for e in event["evidence"] if e["url"] in known})
            pairs.update(itertools.combinations(urls, 2))
    return sorted(pairs)


def lead_vectors(articles: list[Article], cache: Path) -> np.ndarray:
    """The first chunk's passage vector of every article (embedded once, then read from the cache)."""
    vectors, ids = cache / "leads.npy", cache / "leads.ids"
    if vectors.exists() and ids.exists() and ids.read_text(encoding="utf-8").split("\n") == [a.id for a in articles]:
        return np.load(vectors)
    from assistant.embeddings.choice import embeddings_for
    from assistant.settings import Settings

    embedder = embeddings_for(Settings())
    leads = [chunk_text(a.text)[0].of(a.text) for a in articles]
    found = np.vstack([embedder.embed_passages_array(leads[lo : lo + 64]) for lo in range(0, len(leads), 64)])
    cache.mkdir(parents=True, exist_ok=True)
    np.save(vectors, found.astype(np.float32))
    ids.write_text("\n".join(a.id for a in articles), encoding="utf-8")
    return found


def lead_store(articles: list[Article], vectors: np.ndarray, folder: Path) -> ChromaStore:
    """A real Chroma collection holding each article's lead chunk (id, text, article id, day) as the indexer does."""
    store = ChromaStore(open_client(folder, None), "leads", owned=True)
    chunks = []
    for article in articles:
        metadata: dict[str, str | int] = {"article_id": article.id}
        day = day_number(article.published)
        if day is not None:
            metadata["published_day"] = day
        chunks.append(StoredChunk(article.id + "#0", "", metadata))
    store.upsert(chunks, vectors.astype(np.float32))
    return store


def ours(
    articles: list[Article], vectors: np.ndarray, folder: Path, params: Params, group: str = "article"
) -> tuple[dict[str, str], list]:
    """Assign in publication order, one article per call (`group="article"`) or a publication day's articles per
    call (`"day"`, as a daily feed is indexed); the cost is per article (a day's call divided by its articles)."""
    store = lead_store(articles, vectors, folder / "chroma")
    assigner = StoryAssigner(folder, params)
    order = sorted(range(len(articles)), key=lambda i: (articles[i].published or "", articles[i].id))
    groups = (
        [[i] for i in order]
        if group == "article"
        else [list(g) for _, g in itertools.groupby(order, key=lambda i: ordinal(articles[i].published))]
    )
    costs = []
    for part in groups:
        start = time.perf_counter()
        assigner.assign([(articles[i], vectors[i]) for i in part], store)
        costs += [(time.perf_counter() - start) / len(part)] * len(part)
    found = {m.article_id: m.story_id for m in assigner.book.members()}
    assigner.close()
    store.close()
    return found, costs


def baseline(articles: list[Article], vectors: np.ndarray, threshold: float) -> tuple[dict[str, str], list]:
    order = sorted(range(len(articles)), key=lambda i: (articles[i].published or "", articles[i].id))
    sums: list[np.ndarray] = []
    found, costs = {}, []
    for i in order:
        start = time.perf_counter()
        vector = unit(vectors[i])
        best, score = -1, -1.0
        if sums:
            matrix = np.vstack(sums)
            sims = (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)) @ vector
            best, score = int(np.argmax(sims)), float(np.max(sims))
        if score >= threshold:
            sums[best] = sums[best] + vector
        else:
            sums.append(vector.copy())
            best = len(sums) - 1
        found[articles[i].id] = str(best)
        costs.append(time.perf_counter() - start)
    return found, costs


def measure(
    found: dict[str, str],
    articles: list[Article],
    topic: dict[str, str],
    gold: list,
    part: set[str] | None = None,
) -> dict[str, float]:
    """The three figures; with `part` (some topics) only over pairs that involve them: same-topic pairs of
    those topics, different-topic pairs with at least one of them, gold pairs of their timelines."""
    days = {a.id: ordinal(a.published) for a in articles}
    by_topic = defaultdict(list)
    for article_id, t in topic.items():
        by_topic[t].append(article_id)
    together = close = 0
    for t, ids in by_topic.items():
        if part is not None and t not in part:
            continue
        for a, b in itertools.combinations(ids, 2):
            da, db = days[a], days[b]
            if da is not None and db is not None and abs(da - db) <= PAIR_DAYS:
                close += 1
                together += found[a] == found[b]
    merged = apart = 0
    topics = sorted(by_topic)
    for ta, tb in itertools.combinations(topics, 2):
        if part is not None and ta not in part and tb not in part:
            continue
        for a in by_topic[ta]:
            for b in by_topic[tb]:
                apart += 1
                merged += found[a] == found[b]
    gold_together = sum(found[a] == found[b] for a, b in gold)
    return {
        "recall_3d": together / close,
        "false_merges": merged / apart,
        "gold_events_together": gold_together / len(gold),
        "stories": len(set(found.values())),
        "pairs_3d": close,
        "pairs_apart": apart,
        "gold_pairs": len(gold),
    }


def indexing_cost(articles: list[Article], n: int) -> dict[str, float]:
    """Index the same `n` articles into two fresh folders, with and without stories, alternating in groups."""
    from assistant.core import Assistant
    from assistant.settings import Settings

    root = Path(tempfile.mkdtemp(prefix="bench-stories-index-"))
    seconds = {True: 0.0, False: 0.0}
    helpers = {flag: Assistant(Settings(index_dir=root / str(flag), stories=flag)) for flag in (True, False)}
    try:
        for lo in range(0, n, 10):
            for flag in (False, True):
                start = time.perf_counter()
                helpers[flag].index(articles[lo : lo + 10])
                seconds[flag] += time.perf_counter() - start
    finally:
        for helper in helpers.values():
            helper.close()
        shutil.rmtree(root, ignore_errors=True)
    return {
        "articles": n,
        "s_per_article_with": seconds[True] / n,
        "s_per_article_without": seconds[False] / n,
        "ratio": seconds[True] / seconds[False],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, required=True, help="folder for the lead vectors (reused)")
    parser.add_argument("--baseline", default="0.86,0.88,0.90,0.92", help="baseline cosine thresholds")
    parser.add_argument("--threshold", type=float, default=Params.threshold)
    parser.add_argument("--half-life", type=float, default=Params.half_life)
    parser.add_argument("--dense-weight", type=float, default=Params.dense_weight)
    parser.add_argument(
        "--store-candidates", action="store_true", help="candidates from the vector store (before 2026-12-07's default)"
    )
    parser.add_argument("--neighbours", type=int, default=Params.neighbours)
    parser.add_argument("--min-sparse", type=float, default=Params.min_sparse, help="least tf-idf overlap")
    parser.add_argument("--settle-size", type=int, default=Params.settle_size, help="stories decided again (2: lone)")
    parser.add_argument("--settle-threshold", type=float, default=Params.settle_threshold)
    parser.add_argument("--found", type=Path, help="write article id -> story id of our run here (bench_stories_scale)")
    parser.add_argument("--indexing", type=int, default=0, help="also index this many articles with/without stories")
    parser.add_argument("--group", choices=["article", "day"], default="article", help="articles per assign call")
    parser.add_argument(
        "--tune-topics",
        default=TUNE_TOPICS,
        help="topics whose labels the knobs were tuned on; the others are reported apart as held out",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not (FANG / "articles.jsonl").exists():
        sys.exit("the FANG-COVID data set is not there (../shared/data/fang-covid)")
    articles = unique(fang_articles())
    timelines = json.loads((FANG / "timelines.json").read_text(encoding="utf-8"))
    topic = labels(articles, timelines)
    known = {a.id for a in articles}
    tuned = set(args.tune_topics.split(","))
    held = {t["topic"] for t in timelines} - tuned
    parts = {"all": (None, gold_pairs(timelines, known))} | {
        name: (part, gold_pairs(timelines, known, part)) for name, part in (("tuned", tuned), ("held out", held))
    }
    vectors = lead_vectors(articles, args.cache)
    rows = {}
    params = Params(
        threshold=args.threshold,
        half_life=args.half_life,
        dense_weight=args.dense_weight,
        neighbours=args.neighbours,
        min_sparse=args.min_sparse,
        settle_size=args.settle_size,
        settle_threshold=args.settle_threshold,
        book_candidates=not args.store_candidates,
    )
    with tempfile.TemporaryDirectory(prefix="bench-stories-") as tmp:
        found, costs = ours(articles, vectors, Path(tmp), params, args.group)
    if args.found:
        args.found.write_text(json.dumps(found), encoding="utf-8")
    for name, (part, pairs) in parts.items():
        rows[f"ours ({name})"] = measure(found, articles, topic, pairs, part) | _cost(costs)
    for threshold in (float(t) for t in args.baseline.split(",")):
        found, costs = baseline(articles, vectors, threshold)
        for name, (part, pairs) in parts.items():
            rows[f"baseline cos>={threshold} ({name})"] = measure(found, articles, topic, pairs, part) | _cost(costs)
    result: dict[str, object] = {"articles": len(articles), "labelled": len(topic), "runs": rows}
    if args.indexing:
        result["indexing"] = indexing_cost(articles, args.indexing)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{len(articles)} articles, {len(topic)} with one topic label, {len(parts['all'][1])} gold event pairs")
    print(f"tuned on {sorted(tuned)}, held out {sorted(held)}; {args.group} per assign call")
    print("| run | recall (same topic, <= 3 days) | false merges | gold event pairs together | stories | ms/article |")
    print("|---|---|---|---|---|---|")
    for name, row in rows.items():
        print(
            f"| {name} | {row['recall_3d']:.3f} | {row['false_merges']:.4f} | {row['gold_events_together']:.3f} "
            f"| {row['stories']} | {row['ms_median']:.1f} (p95 {row['ms_p95']:.1f}) |"
        )
    if args.indexing:
        print(json.dumps(result["indexing"]))


def _cost(costs: list[float]) -> dict[str, float]:
    ms = sorted(c * 1000 for c in costs)
    return {"ms_median": statistics.median(ms), "ms_p95": ms[int(0.95 * (len(ms) - 1))]}


if __name__ == "__main__":
    main()
