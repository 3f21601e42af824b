"""Archives as they are: FANG-COVID's JSONL and 10kGNAD's CSV read without options, and record files of any size
read (and indexed) in bounded memory.

    python bench/bench_record_files.py --archives              # FANG-COVID and 10kGNAD through Assistant.index
    python bench/bench_record_files.py --cli-lines 40          # the real `assistant index` on FANG-COVID's first lines
    python bench/bench_record_files.py --read-mb 100,1000      # reader peak memory on generated JSONL files
    python bench/bench_record_files.py --index-mb 10,100       # end to end with the stand-in encoder

`--archives` indexes each archive as it is (no options) with the stand-in encoder of `bench_scale.py` (hashed
words: the loader and indexer are the ones `assistant index` runs, only the vectors are not the model's; the
real model takes about an hour for FANG-COVID's 12 MB here) and checks a few titles, dates and outlets against
the raw records. `--cli-lines N` runs the real CLI (bundled model) on the first N lines plus the three lines that
repeat an earlier record (0: the whole file). `--read-mb` writes JSONL files of those sizes (FANG-COVID records
made unique) to a temporary folder and reads each in a fresh process through `iter_paths`, reporting the peak
resident memory (flat: the same for every size); `--index-mb` indexes such files end to end in a fresh process.
Generated files are deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
FANG = REPO.parent / "shared" / "data" / "fang-covid" / "articles.jsonl"
GNAD = REPO.parent / "shared" / "data" / "10kgnad" / "test.csv"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def index_archive(path: Path, index_dir: Path) -> dict:
    """Index one archive with no options (stand-in encoder); counts, refusals, seconds and a few checked records."""
    from assistant import Assistant, Settings
    from bench.bench_scale import HashingEmbeddings

    assistant = Assistant(Settings(index_dir=index_dir), embeddings=HashingEmbeddings())
    began = time.perf_counter()
    report = assistant.index([path])
    seconds = time.perf_counter() - began
    stored = {a.id: a for a in assistant.articles()}
    assistant.close()
    return {
        "file": path.name,
        "added": len(report.added),
        "refused": [(r.path.rsplit("/", 1)[-1], r.reason[:90]) for r in report.refused],
        "fields": report.fields,
        "seconds": round(seconds, 1),
        "stored": stored,
    }


def check_fang(stored: dict) -> list[str]:
    """Title, date and outlet of every stored record against the raw line; a few shown."""
    from assistant.decoding import clean_text

    lines = [json.loads(line) for line in FANG.read_text(encoding="utf-8").split("\n") if line.strip()]
    wrong = 0
    for record in lines:
        article = stored[record["url"]]
        year, month, day = (int(part) for part in record["date"][:10].split(" ")[0].split("-"))  # 2020-09-6 occurs
        text = clean_text(record["article"])  # as every article is stored: NFC, no control characters
        expected = (" ".join(record["header"].split()), f"{year:04}-{month:02}-{day:02}", record["source"], text)
        wrong += (article.title, article.published, article.source, article.text) != expected
    shown = [f"{n}: {stored[lines[n]['url']].title[:60]!r}, {stored[lines[n]['url']].published}, "
             f"{stored[lines[n]['url']].source}" for n in (0, 1000, 1612)]  # fmt: skip
    return [f"of {len(lines):,} lines, records whose title, date, outlet or text differ from the line: {wrong}", *shown]


def archives() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        for path in (FANG, GNAD):
            if not path.is_file():
                print(f"{path} is absent: skipped")
                continue
            result = index_archive(path, Path(scratch) / path.stem)
            print(f"{result['file']}: {result['added']:,} added in {result['seconds']} s, fields {result['fields']}")
            for place, reason in result["refused"]:
                print(f"  refused {place}: {reason}")
            if path == FANG:
                for line in check_fang(result["stored"]):
                    print(f"  {line}")


def cli_subset(lines: int) -> None:
    """The real `assistant index` (bundled model) on FANG-COVID's first `lines` lines and the repeating ones."""
    raw = FANG.read_bytes().split(b"\n")
    wanted = range(1, len(raw) + 1) if lines == 0 else [*range(1, lines + 1), 1514, 1592]  # 1592 repeats 1514
    with tempfile.TemporaryDirectory() as scratch:
        subset = Path(scratch) / "articles.jsonl"
        subset.write_bytes(b"\n".join(raw[n - 1] for n in wanted if raw[n - 1].strip()) + b"\n")
        command = [sys.executable, "-m", "assistant.cli", "index", str(subset), "--index-dir", f"{scratch}/index"]
        began = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        seconds = time.perf_counter() - began
        chars = sum(len(json.loads(raw[n - 1])["article"]) for n in wanted if raw[n - 1].strip())
        print(f"assistant index ({len(wanted)} lines, {chars:,} characters of text): {seconds:.1f} s")
        print(done.stdout.strip())


def generate(path: Path, megabytes: int) -> int:
    """A JSONL file of about `megabytes` MB: FANG-COVID's records again and again, each made unique."""
    records = [json.loads(line) for line in FANG.read_text(encoding="utf-8").split("\n") if line.strip()]
    written = count = 0
    with path.open("w", encoding="utf-8") as out:
        while written < megabytes * 1_000_000:
            record = records[count % len(records)]
            copy = {**record, "url": f"{record['url']}#copy-{count}", "header": f"{record['header']} ({count})"}
            line = json.dumps(copy, ensure_ascii=False) + "\n"
            out.write(line)
            written += len(line.encode("utf-8"))
            count += 1
    return count


def child_read(path: Path) -> None:
    """In a fresh process: read every record through iter_paths; articles, seconds, peak memory."""
    from assistant.articles import Article
    from assistant.ingest.loading import iter_paths

    before = peak_mb()
    began = time.perf_counter()
    articles = sum(isinstance(entry, Article) for entry in iter_paths([path], id_base=path.parent))
    seconds = time.perf_counter() - began
    print(json.dumps({"articles": articles, "seconds": seconds, "peak_mb": peak_mb(), "before_mb": before}))


def child_index(path: Path) -> None:
    """In a fresh process: index the file end to end with the stand-in encoder; counts, seconds, peak memory."""
    from assistant import Assistant, Settings
    from bench.bench_scale import HashingEmbeddings

    with tempfile.TemporaryDirectory() as scratch:
        assistant = Assistant(Settings(index_dir=Path(scratch) / "index"), embeddings=HashingEmbeddings())
        began = time.perf_counter()
        report = assistant.index([path])
        seconds = time.perf_counter() - began
        assistant.close()
    added, refused = len(report.added), len(report.refused)
    print(json.dumps({"articles": added, "refused": refused, "seconds": seconds, "peak_mb": peak_mb()}))


def in_child(mode: str, path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, __file__, mode, str(path)], capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def sizes_run(mode: str, sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        for megabytes in sizes:
            path = Path(scratch) / f"archive-{megabytes}mb.jsonl"
            records = generate(path, megabytes)
            result = in_child(mode, path)
            path.unlink()
            rate = megabytes / result["seconds"]
            print(
                f"{megabytes:,} MB ({records:,} records): {result['articles']:,} articles in {result['seconds']:.0f} s "
                f"({rate:.1f} MB/s, {result['articles'] / result['seconds']:.0f} records/s), "
                f"peak resident memory {result['peak_mb']:.0f} MB"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archives", action="store_true", help="FANG-COVID and 10kGNAD with no options")
    parser.add_argument("--cli-lines", type=int, help="the real CLI on FANG-COVID's first N lines (0: all)")
    parser.add_argument("--read-mb", help="comma-separated sizes of generated JSONL files to read")
    parser.add_argument("--index-mb", help="comma-separated sizes of generated JSONL files to index end to end")
    parser.add_argument("--child-read", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-index", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_read:
        child_read(args.child_read)
    elif args.child_index:
        child_index(args.child_index)
    if args.archives:
        archives()
    if args.cli_lines is not None:
        cli_subset(args.cli_lines)
    if args.read_mb:
        sizes_run("--child-read", [int(s) for s in args.read_mb.split(",")])
    if args.index_mb:
        sizes_run("--child-index", [int(s) for s in args.index_mb.split(",")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
