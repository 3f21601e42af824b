"""Growth: what adding articles, a question, memory and disk cost as the archive grows to 100,000 articles.

Articles are real 10kGNAD text (../shared/data/10kgnad/test.csv) recombined into new ones: article k keeps the
sentences of one article and swaps every third for a sentence of another, plus a line naming it, so every
article is different and reads like news. The encoder is replaced by a fast deterministic stand-in (hashed
words and word pairs into 384 dimensions, a LangChain `Embeddings`), so 100,000 articles build in an hour
instead of days; `--encoder real` uses the bundled model instead (for 1,000 articles).

The sizes are grown one after another in one index folder (1,000, then 9,000 more, ...). At each size a new
process (like a chat server) opens the index, answers `--questions` questions (a few to warm up first), then
adds `--add` articles `--rounds` times and deletes them again, and reports its resident memory (with the index
still open: closing it frees the vector index) and the peak. Questions are pieces of indexed sentences, so
keyword and dense search both have something to find.

With `--serve` each size also starts the real chat server (`serve.chat_app.serve`, the Gradio app of `assistant
serve`) in its own process on 127.0.0.1, asks it the same questions through its `/ask` API and reads the
server's resident memory from /proc: what a chat server holds, Gradio included. `--serve-probe DIR --size N`
does only that, on an index built before (it only answers questions: no article is added or deleted).

    python bench/bench_scale.py --sizes 1000,10000            # a quick run
    python bench/bench_scale.py                                 # 1,000, 10,000 and 100,000 articles
    python bench/bench_scale.py --sizes 1000 --encoder real     # the bundled model
    python bench/bench_scale.py --sizes 1000 --serve            # and the chat server's memory
    python bench/bench_scale.py --sizes 1000,10000 --timelines 20  # and timelines, date tagging
    python bench/bench_scale.py --serve-probe DIR --size 100000 # the chat server on an index built before
    python bench/bench_scale.py --sizes 1000,10000,100000 --no-stories --snapshots --rounds 0 --work GROWN
    python bench/bench_scale.py --candidate-queries GROWN/index-1000 GROWN/index-10000

`--no-stories` grows (and probes) without story assignment (`ASSISTANT_STORIES=false`): the rest of indexing
alone, since the story hook's cost is measured on its own (`bench_stories_scale.py`, and `--candidate-queries`).
While growing, each batch prints its wall and CPU milliseconds per article (the growth curve); `--snapshots`
keeps a copy of the index at each size (``index-SIZE`` beside ``index``), for side-by-side runs of
`bench_timeline_parts.py` on them. `--rounds 0` skips the probes (questions, additions), growing only.
`--candidate-queries DIR ...` times, side by side on indexes built before, the story hook's query for candidates
in the vector store (`stories.assigning.store_candidates` with `book_candidates` off: the nearest chunks within 21
days of the article) against the same search without the window, for lead vectors of indexed articles.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import random
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from assistant import Article, Assistant
    from assistant.indexing.store import ChromaStore

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.ports import free_port  # noqa: E402  (after the repo is on the path)

GNAD = REPO.parent / "shared" / "data" / "10kgnad" / "test.csv"
DIM = 384
_WORD = re.compile(r"\w+")
GROW_BATCH_CHARS = 2_000_000
"""Text per store write while growing (fewer, larger writes: building is not what is measured)."""
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@lru_cache(maxsize=2_000_000)
def _code(gram: str | tuple[str, str]) -> int:
    """A word's or word pair's stable hash (crc32: the same in every process, unlike `hash`)."""
    return zlib.crc32(gram.encode() if isinstance(gram, str) else f"{gram[0]} {gram[1]}".encode())


class HashingEmbeddings(Embeddings):
    """Words and word pairs hashed into signed buckets, normalized: similar texts get similar vectors, in
    microseconds (a stand-in for the encoder, so growth can be measured without a day of encoding)."""

    model_name = "bench-hashing-384"

    def _vector(self, text: str) -> np.ndarray:
        words = _WORD.findall(text.lower())
        codes = np.fromiter(map(_code, itertools.chain(words, itertools.pairwise(words))), dtype=np.int64)
        signs = np.where(codes & 1, 1.0, -1.0)
        vector = np.bincount((codes >> 1) % DIM, weights=signs, minlength=DIM).astype(np.float32)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def embed_passages_array(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, DIM), np.float32)

    def embed_query_array(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_array(text).tolist()


# --- articles --------------------------------------------------------------------------------------
def source_sentences() -> list[list[str]]:
    from assistant.evaluation import read_10kgnad_csv

    return [_SENTENCE.split(a.text.strip()) for a in read_10kgnad_csv(GNAD)]


def make_article(k: int, pool: list[list[str]]) -> Article:
    """Article k: one source article's sentences, every third swapped for another article's, and a dateline; it
    is published on one of two years' days, so its sentences are dated as a news archive's are."""
    from assistant import Article

    rng = random.Random(k)
    base = pool[k % len(pool)]
    other = pool[rng.randrange(len(pool))]
    sentences = [other[rng.randrange(len(other))] if n % 3 == 2 else s for n, s in enumerate(base)]
    text = f"Meldung {k}. " + " ".join(sentences)
    published = (FIRST_DAY + dt.timedelta(days=k % 730)).isoformat()
    return Article(id=f"bench/{k:06d}", text=text, title=f"Meldung {k}", source=f"Quelle {k % 17}", published=published)


FIRST_DAY = dt.date(2019, 1, 1)


def questions(pool: list[list[str]], count: int, limit: int) -> list[str]:
    """Pieces of sentences of indexed articles, phrased as questions."""
    rng = random.Random(7)
    out: list[str] = []
    while len(out) < count:
        sentence = pool[rng.randrange(min(limit, len(pool)))]
        words = rng.choice(sentence).split()
        if len(words) >= 6:
            start = rng.randrange(len(words) - 5)
            out.append("Was ist mit " + " ".join(words[start : start + 6]).strip(".,;:") + "?")
    return out


def development_questions(pool: list[list[str]], count: int, limit: int) -> list[str]:
    """ "Wie hat sich … entwickelt?" around pieces of indexed sentences: what a timeline answers."""
    return [
        f"Wie hat sich {q.removeprefix('Was ist mit ').rstrip('?')} entwickelt?" for q in questions(pool, count, limit)
    ]


# --- one size, in a new process ---------------------------------------------------------------------
def probe(index_dir: Path, size: int, args: argparse.Namespace) -> dict:
    """Open the index like a server, answer questions, add and delete articles; timings, memory."""
    from assistant import Assistant, Settings

    pool = source_sentences()
    settings = Settings(index_dir=index_dir, stories=args.stories)
    assistant = Assistant(settings, embeddings=embeddings_for(args.encoder))
    asked = questions(pool, args.questions + 3, size)
    for question in asked[:3]:  # warm up: store, keyword segments, record
        assistant.ask(question)
    seconds = []
    for question in asked[3:]:
        start = time.perf_counter()
        assistant.ask(question)
        seconds.append(time.perf_counter() - start)
    timelines = timeline_seconds(assistant, pool, size, args.timelines) if args.timelines else {}
    adds, deletes = add_and_delete(assistant, pool, size, args)
    rss, peak = memory_mb()  # before `close`, which frees the vector index: what a server that answered holds
    assistant.close()
    wall = [w for w, _ in adds]
    dating = dating_seconds(pool, size, args) if args.timelines else {}
    return (
        timelines
        | dating
        | {
            "ask_p50_ms": 1000 * float(np.percentile(seconds, 50)),
            "ask_p95_ms": 1000 * float(np.percentile(seconds, 95)),
            "add_median_s": statistics.median(wall),
            "add_mean_s": statistics.mean(wall),
            "add_max_s": max(wall),
            "add_cpu_median_s": statistics.median(c for _, c in adds),
            "delete_median_s": statistics.median(deletes),
            "rss_mb": rss,
            "peak_mb": peak,
        }
    )


def timeline_seconds(assistant: Assistant, pool: list[list[str]], size: int, count: int) -> dict:
    """p50/p95 of `Assistant.timeline` (a warm process) for development questions about indexed articles."""
    asked = development_questions(pool, count + 2, size)
    for question in asked[:2]:
        assistant.timeline(question)
    seconds, entries = [], []
    for question in asked[2:]:
        start = time.perf_counter()
        entries.append(len(assistant.timeline(question).entries))
        seconds.append(time.perf_counter() - start)
    return {
        "timeline_p50_ms": 1000 * float(np.percentile(seconds, 50)),
        "timeline_p95_ms": 1000 * float(np.percentile(seconds, 95)),
        "timeline_entries": statistics.median(entries),
    }


def dating_seconds(pool: list[list[str]], size: int, args: argparse.Namespace) -> dict:
    """Date tagging alone (`sentence_day` on every sentence, what the indexer runs per sentence) for the
    articles one measured addition adds: CPU seconds per addition, to set beside the addition's CPU seconds."""
    from assistant.dates import sentence_day

    articles = [make_article(10_000_000 + size + n, pool) for n in range(args.add)]
    spans = [(s, a.published) for a in articles for s in _SENTENCE.split(a.text)]
    best = min(_timed(lambda: [sentence_day(s, p) for s, p in spans]) for _ in range(3))
    return {"dating_s_per_add": best, "dated_sentences_per_add": len(spans)}


def _timed(work: Callable[[], object]) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def add_and_delete(
    assistant: Assistant, pool: list[list[str]], size: int, args: argparse.Namespace
) -> tuple[list[tuple[float, float]], list[float]]:
    """(Wall, CPU) seconds to add `args.add` new articles, `args.rounds` times; then to delete each batch again."""
    adds, deletes, batches = [], [], []
    for r in range(args.rounds):
        batch = [make_article(10_000_000 + size + r * args.add + n, pool) for n in range(args.add)]
        start, cpu = time.perf_counter(), time.process_time()
        report = assistant.index(batch)
        adds.append((time.perf_counter() - start, time.process_time() - cpu))
        assert len(report.added) == args.add, report.to_dict()
        batches.append(batch)
    for batch in batches:
        start = time.perf_counter()
        for article in batch:
            assistant.delete(article.id)
        deletes.append(time.perf_counter() - start)
    return adds, deletes


def memory_mb(pid: int | str = "self") -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB: what it holds now, and the most it held (the peak)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


# --- the chat server, in its own process ------------------------------------------------------------
SERVING = "serving on "
"""The server process's one line on stdout once the app answers (the client waits for it)."""


def serve_probe(index_dir: Path, size: int, args: argparse.Namespace) -> dict:
    """Start the chat server on the index, ask it the probe's questions over HTTP, and read the server
    process's memory (not this client's): at start, after answering, and its peak."""
    port = free_port()
    command = [sys.executable, __file__, "--server", str(index_dir), "--port", str(port), "--encoder", args.encoder]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # its errors show on stderr
    try:
        url = wait_for_server(server)
        start_rss, _ = memory_mb(server.pid)
        asked = questions(source_sentences(), args.questions + 3, size)
        seconds, status = ask_over_http(url, asked)
        rss, peak = memory_mb(server.pid)
    finally:
        stop(server)
    return {
        "serve_articles": status["articles"],
        "serve_chunks": status["chunks"],
        "serve_start_rss_mb": start_rss,
        "serve_rss_mb": rss,
        "serve_peak_mb": peak,
        "serve_ask_p50_ms": 1000 * float(np.percentile(seconds, 50)),
        "serve_ask_p95_ms": 1000 * float(np.percentile(seconds, 95)),
    }


def wait_for_server(server: subprocess.Popen[str]) -> str:
    """The server's URL, once it printed it (ui.serve's `on_ready`: the app is up and the encoder warm)."""
    assert server.stdout is not None
    for line in server.stdout:
        if line.startswith(SERVING):
            return line[len(SERVING) :].strip()
    raise RuntimeError(f"the chat server ended before serving (exit code {server.wait()})")


def ask_over_http(url: str, asked: list[str]) -> tuple[list[float], dict]:
    """Seconds per question through the `/ask` API as a program calls it (gradio_client), after 3 to warm up;
    and the server's `/status` (what it holds)."""
    from gradio_client import Client  # type: ignore[import-untyped]

    client = Client(url, verbose=False)
    for question in asked[:3]:
        client.predict(question, api_name="/ask")
    seconds = []
    for question in asked[3:]:
        start = time.perf_counter()
        answer = client.predict(question, api_name="/ask")
        seconds.append(time.perf_counter() - start)
        assert isinstance(answer, dict) and "question" in answer, answer
    return seconds, client.predict(api_name="/status")


def stop(server: subprocess.Popen[str]) -> None:
    """Ctrl+C, as a person stops `assistant serve` (Gradio closes its server and the index is closed)."""
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def run_server(index_dir: Path, port: int, encoder: str) -> None:
    """The chat as `assistant serve` runs it (`ui.serve`), with the bench's encoder injected: the CLI would
    refuse an index built by the stand-in. Uploads would go to a temporary folder, never into the index."""
    from assistant import Assistant, Settings
    from assistant.serve.chat_app import serve

    assistant = Assistant(Settings(index_dir=index_dir), embeddings=embeddings_for(encoder))
    with tempfile.TemporaryDirectory(prefix="bench-uploads-") as uploads:
        try:
            serve(assistant, "127.0.0.1", port, uploads_dir=Path(uploads), on_ready=announce)
        finally:
            assistant.close()


def announce(url: str) -> None:
    print(f"{SERVING}{url}", flush=True)


def embeddings_for(encoder: str) -> Embeddings:
    if encoder == "hashing":
        return HashingEmbeddings()
    from assistant.embeddings.choice import embeddings_for as chosen
    from assistant.settings import Settings

    return chosen(Settings())


# --- building and disk ------------------------------------------------------------------------------
def grow(index_dir: Path, start: int, stop: int, encoder: Embeddings, batch: int, stories: bool = True) -> float:
    """Index articles start..stop-1 into the folder, `batch` per run; seconds taken. Each run prints its wall and
    CPU milliseconds per article: whether adding costs more as the archive grows."""
    from assistant import Assistant, Settings

    pool = source_sentences()
    settings = Settings(index_dir=index_dir, index_batch_chars=GROW_BATCH_CHARS, stories=stories)
    assistant = Assistant(settings, embeddings=encoder)
    began = time.perf_counter()
    for lo in range(start, stop, batch):
        articles = [make_article(k, pool) for k in range(lo, min(stop, lo + batch))]
        wall, cpu = time.perf_counter(), time.process_time()
        assistant.index(articles)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"  indexed {min(stop, lo + batch):,} ({time.perf_counter() - began:,.0f} s): "
            f"{1000 * wall / len(articles):.1f} ms per article, CPU {1000 * cpu / len(articles):.1f} ms",
            file=sys.stderr,
        )
    assistant.close()
    return time.perf_counter() - began


def candidate_queries(folders: list[Path], count: int = 40) -> list[dict]:
    """Milliseconds (p50) of the story hook's candidate query within its time window, and of the same search
    without it, on each index in turn (the same lead vectors' positions, so the load weighs on all alike)."""
    from assistant.indexing.store import ChromaStore, open_client
    from assistant.settings import Settings
    from assistant.stories.assigning import store_candidates
    from assistant.stories.book import StoryBook
    from assistant.stories.clustering import Params
    from assistant.stories.days import ordinal

    params = Params(book_candidates=False)  # the vector store's windowed search, whatever the default
    stores = [ChromaStore(open_client(folder / "chroma"), Settings().collection) for folder in folders]
    probes = [sample_leads(store, folder, count) for store, folder in zip(stores, folders, strict=True)]
    times: list[dict[str, list[float]]] = [{"window": [], "plain": []} for _ in folders]
    with tempfile.TemporaryDirectory(prefix="bench-book-") as spare:
        book = StoryBook(Path(spare) / "unused.sqlite3")  # not read: candidates come from the store
        for n in range(count):
            for store, leads, row in zip(stores, probes, times, strict=True):
                vector, published = leads[n]
                candidates, day = store_candidates(book, store, params), ordinal(published)
                start = time.perf_counter()
                candidates(vector, day)
                middle = time.perf_counter()
                store.search(vector, params.neighbours)
                row["window"].append(middle - start)
                row["plain"].append(time.perf_counter() - middle)
        book.close()
    return [
        {
            "folder": str(folder),
            "chunks": store.count(),
            "window_p50_ms": 1000 * statistics.median(row["window"][3:]),
            "plain_p50_ms": 1000 * statistics.median(row["plain"][3:]),
        }
        for folder, store, row in zip(folders, stores, times, strict=True)
    ]


def sample_leads(store: ChromaStore, folder: Path, count: int) -> list[tuple[np.ndarray, str]]:
    """Lead vectors (chunk 0) and publication days of `count` articles spread over the index."""
    articles, _ = counts(folder)
    ids = [f"bench/{k:06d}" for k in range(0, articles, max(1, articles // count))][:count]
    db = sqlite3.connect(folder / "records.sqlite3")
    try:
        marks = ",".join("?" * len(ids))
        leads = db.execute(f"SELECT id FROM chunks WHERE article_id IN ({marks}) AND ordinal = 0", ids).fetchall()
    finally:
        db.close()
    found = store.fetch([lead for (lead,) in leads])
    return [(vector, str(chunk.metadata["published"])) for chunk, vector in found]


def disk(index_dir: Path, articles: int) -> dict:
    """Bytes per article: chunk vectors (Chroma), sentence vectors and the rest of the record, keyword index."""
    records = index_dir / "records.sqlite3"
    db = sqlite3.connect(records)
    try:
        pages = dict(db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
    finally:
        db.close()
    sentences = pages.get("sentences", 0) + pages.get("sentences_chunk", 0)
    record = sum(pages.values())
    return {
        "chroma_b": folder_bytes(index_dir / "chroma") / articles,
        "sentences_b": sentences / articles,
        "record_other_b": (record - sentences) / articles,
        "keyword_b": folder_bytes(index_dir / "keyword") / articles,
    }


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def counts(index_dir: Path) -> tuple[int, int]:
    db = sqlite3.connect(index_dir / "records.sqlite3")
    try:
        return db.execute("SELECT count(*) FROM articles").fetchone()[0], db.execute(
            "SELECT count(*) FROM chunks"
        ).fetchone()[0]
    finally:
        db.close()


# --- the run ----------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000", help="archive sizes, comma-separated, ascending")
    parser.add_argument("--add", type=int, default=10, help="articles per measured addition")
    parser.add_argument("--rounds", type=int, default=5, help="measured additions per size")
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--encoder", choices=["hashing", "real"], default="hashing")
    parser.add_argument("--timelines", type=int, default=0, help="also time this many timelines and date tagging")
    parser.add_argument("--batch", type=int, default=2000, help="articles per indexing run while growing")
    parser.add_argument("--work", type=Path, help="index folder to grow (default: a temporary one, deleted)")
    parser.add_argument("--serve", action="store_true", help="also measure the chat server at each size")
    parser.add_argument(
        "--no-stories", dest="stories", action="store_false", help="grow and probe without story assignment"
    )
    parser.add_argument("--snapshots", action="store_true", help="keep a copy of the index at each size (index-SIZE)")
    parser.add_argument(
        "--candidate-queries", type=Path, nargs="+", metavar="DIR", help="only the story hook's candidate query"
    )
    parser.add_argument("--serve-probe", type=Path, metavar="DIR", help="only the chat server, on this index folder")
    parser.add_argument("--size", type=int, help="the index's articles (with --serve-probe: the questions' range)")
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--server", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if single_job(args):
        return 0
    if not GNAD.exists():
        print(f"needs {GNAD}", file=sys.stderr)
        return 1
    sizes = [int(s) for s in args.sizes.split(",")]
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    rows = run(sizes, work / "index", args)
    if args.rounds:
        print_table(rows, args)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def single_job(args: argparse.Namespace) -> bool:
    """The bench's own child processes (one size's probe, the chat server) and `--serve-probe`: no growing."""
    if args.candidate_queries:
        for row in candidate_queries(args.candidate_queries):
            print(json.dumps(row))
    elif args.probe:
        print(json.dumps(probe(args.probe, args.size, args)))
    elif args.server:
        run_server(args.server, args.port, args.encoder)
    elif args.serve_probe:
        row = serve_probe(args.serve_probe, args.size or 1000, args)
        print(json.dumps(row), file=sys.stderr)
        print_serve_table([row], args)
    return bool(args.candidate_queries or args.probe or args.server or args.serve_probe)


def run(sizes: list[int], index_dir: Path, args: argparse.Namespace) -> list[dict]:
    rows, built = [], 0
    encoder = embeddings_for(args.encoder)
    for size in sizes:
        grow_seconds = grow(index_dir, built, size, encoder, args.batch, args.stories)
        row = {"size": size, "grow_s_per_article": grow_seconds / (size - built)}
        built = size
        if args.snapshots:
            shutil.copytree(index_dir, index_dir.with_name(f"index-{size}"))
        if args.rounds == 0:  # growing only
            print(json.dumps(row), file=sys.stderr)
            continue
        command = [sys.executable, __file__, "--probe", str(index_dir), "--size", str(size)]
        command += ["--add", str(args.add), "--rounds", str(args.rounds), "--questions", str(args.questions)]
        command += ["--encoder", args.encoder, "--timelines", str(args.timelines)]
        command += [] if args.stories else ["--no-stories"]
        result = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)  # its errors show
        row |= json.loads(result.stdout.strip().splitlines()[-1])
        if args.serve:
            row |= serve_probe(index_dir, size, args)
        articles, row["chunks"] = counts(index_dir)
        row["articles"] = articles
        row |= disk(index_dir, articles)
        print(json.dumps(row), file=sys.stderr)
        rows.append(row)
    return rows


def print_table(rows: list[dict], args: argparse.Namespace) -> None:
    encoder = "hashing stand-in (not the model)" if args.encoder == "hashing" else "the bundled model (ONNX)"
    print(f"encoder: {encoder}; add {args.add} articles x {args.rounds} rounds; {args.questions} questions\n")
    print(
        "| articles | chunks | s/article growing | add 10: median (mean, max) s | add 10: CPU s | delete 10 s "
        "| ask p50 / p95 ms | RSS MB (peak) "
        "| disk B/article: chunk vectors / sentence vectors / rest of record / keyword |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        adding = f"{r['add_median_s']:.3f} ({r['add_mean_s']:.3f}, {r['add_max_s']:.3f}) | {r['add_cpu_median_s']:.3f}"
        asking = f"{r['ask_p50_ms']:.0f} / {r['ask_p95_ms']:.0f}"
        size = f"{r['chroma_b']:,.0f} / {r['sentences_b']:,.0f} / {r['record_other_b']:,.0f} / {r['keyword_b']:,.0f}"
        print(
            f"| {r['articles']:,} | {r['chunks']:,} | {r['grow_s_per_article']:.4f} | {adding} "
            f"| {r['delete_median_s']:.3f} | {asking} | {r['rss_mb']:,.0f} ({r['peak_mb']:,.0f}) | {size} |"
        )
    if args.serve:
        print()
        print_serve_table(rows, args)
    if args.timelines:
        print_timeline_table(rows, args)
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        for what in ("add_median_s", "add_cpu_median_s"):
            ratio = last[what] / first[what]
            print(f"adding {args.add} at {last['articles']:,} / at {first['articles']:,}: {ratio:.2f}x ({what})")


def print_timeline_table(rows: list[dict], args: argparse.Namespace) -> None:
    """Timelines and date tagging beside the growth table."""
    print(f"\ntimelines ({args.timelines} development questions, warm) and date tagging of {args.add} added articles\n")
    print(
        "| articles | timeline p50 / p95 ms | entries (median) | dating CPU s per add (sentences) | add CPU s | share |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        share = r["dating_s_per_add"] / r["add_median_s"]
        print(
            f"| {r['articles']:,} | {r['timeline_p50_ms']:.0f} / {r['timeline_p95_ms']:.0f} "
            f"| {r['timeline_entries']:.0f} "
            f"| {r['dating_s_per_add']:.3f} ({r['dated_sentences_per_add']}) | {r['add_cpu_median_s']:.3f} "
            f"| {share:.3f} |"
        )


def print_serve_table(rows: list[dict], args: argparse.Namespace) -> None:
    """The chat server's memory beside the growth table (the server process's, read from /proc)."""
    print(f"chat server (serve.chat_app.serve, Gradio), {args.questions} questions through /ask, one at a time\n")
    print("| articles | chunks | serve RSS MB: at start / after answering (peak) | /ask p50 / p95 ms |")
    print("|---|---|---|---|")
    for r in rows:
        memory = f"{r['serve_start_rss_mb']:,.0f} / {r['serve_rss_mb']:,.0f} ({r['serve_peak_mb']:,.0f})"
        asking = f"{r['serve_ask_p50_ms']:.0f} / {r['serve_ask_p95_ms']:.0f}"
        print(f"| {r['serve_articles']:,} | {r['serve_chunks']:,} | {memory} | {asking} |")


if __name__ == "__main__":
    raise SystemExit(main())
