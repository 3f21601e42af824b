"""What a story book shared on a Chroma server costs at about 100,000 members: a real `chroma run` server on
127.0.0.1, two machines (two story books on disk), in one run.

The book of the synthesized archive (`bench_stories_scale.py`: copies of FANG-COVID shifted back in time; `--copies`
of them, or a book given with `--book`) is machine A's; A, a writer, makes the empty server match it (the first
upload). B's cache starts as a copy of A's (`--first-pull`: B pulls every member instead, as a new machine does;
the upload and that pull take about 15 s per 2,000 members here). Then, timed:

- B's pull when nothing changed (the marker only);
- A assigns one more article and pushes it; B's pull after that one change (what a view costs after every write on
  another machine): only the records written since B's state; side by side, the same pull listing every member
  (`force`, what every pull did before);
- A's reconcile at the start of its next writer's turn (its cache matched the marker: only a killed push's strays
  are looked for).

    python bench/bench_stories_pull.py --leads stories-cache --found found.json --copies 4 --work pull-work
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_stories import fang_articles, lead_vectors, unique
from bench_stories_scale import build_book

from assistant.indexing.store import open_client
from assistant.stories.book import StoryBook
from assistant.stories.clustering import Decision
from assistant.stories.shared_book import SharedBook


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def chroma_server(path: Path) -> Iterator[str]:
    """`chroma run` on `path` at a free port of 127.0.0.1 for the block; its URL."""
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    command = [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("chroma run did not start") from None
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=60)


def timed(what: str, result: dict[str, float], work: object) -> None:
    start = time.perf_counter()
    if callable(work):
        work()
    result[what] = round(time.perf_counter() - start, 3)
    print(json.dumps(result), flush=True)


def one_more(book: StoryBook) -> str:
    """A new member joining the book's latest story (a copy of its last member's vector and terms)."""
    last = book.members()[-1]
    found = book.member(last.article_id)
    assert found is not None
    vector, terms, day = found
    story = book.profiles({last.story_id})[0]
    article_id = f"bench-new-{time.time_ns()}"
    book.apply(Decision(story.joined(article_id, vector, terms, day), False, []), article_id, vector, terms, day)
    return article_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--book", type=Path, help="a story book (bench_stories_scale.py's assign-47)")
    parser.add_argument("--leads", type=Path, help="without --book: the lead-vector cache of bench_stories.py")
    parser.add_argument("--found", type=Path, help="without --book: article id -> story id of bench_stories.py")
    parser.add_argument("--copies", type=int, default=0, help="without --book: copies of FANG-COVID in the book")
    parser.add_argument("--first-pull", action="store_true", help="B pulls every member first (else: a copy of A's)")
    parser.add_argument("--work", type=Path, required=True, help="an empty folder for the server and the machines")
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    (args.work / "a").mkdir(parents=True)
    (args.work / "b").mkdir(parents=True)
    if args.book:
        shutil.copy(args.book, args.work / "a" / "stories.sqlite3")
    else:
        articles = unique(fang_articles())
        found = json.loads(args.found.read_text(encoding="utf-8"))
        build_book(args.work / "a" / "stories.sqlite3", articles, lead_vectors(articles, args.leads), found,
                   args.copies, set())  # fmt: skip
    a = StoryBook(args.work / "a" / "stories.sqlite3")
    result: dict[str, float] = {"members": a.article_count()}
    with chroma_server(args.work / "server") as url:
        shared_a = SharedBook(open_client(Path(), url), "bench", url)
        shared_b = SharedBook(open_client(Path(), url), "bench", url)
        timed("A uploads its book (first reconcile)", result, lambda: shared_a.reconcile(a))
        if not args.first_pull:
            a.close()
            shutil.copy(args.work / "a" / "stories.sqlite3", args.work / "b" / "stories.sqlite3")
            a = StoryBook(args.work / "a" / "stories.sqlite3")
        b = StoryBook(args.work / "b" / "stories.sqlite3")
        if args.first_pull:
            timed("B's first pull (empty cache)", result, lambda: shared_b.pull(b))
        result["B members"] = b.article_count()
        timed("B's pull, nothing changed", result, lambda: shared_b.pull(b))
        for n in range(3):
            added = one_more(a)
            timed(f"A pushes one new member ({n + 1})", result, lambda added=added: shared_a.push(a, [added], [], []))
            timed(f"B's pull after one change ({n + 1})", result, lambda: shared_b.pull(b))
        for n in range(2):  # side by side: the same pull listing every member (as every pull did before)
            added = one_more(a)
            shared_a.push(a, [added], [], [])
            timed(f"B's pull after one change, every member listed ({n + 1})", result,
                  lambda: shared_b.pull(b, force=True))  # fmt: skip
        result["B members after"] = b.article_count()
        result["B has the new member"] = float(b.story_of(added) == a.story_of(added))
        timed("A's reconcile at its next turn", result, lambda: shared_a.reconcile(a))
    a.close()
    b.close()
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
