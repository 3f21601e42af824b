"""The ``assistant`` command: a thin edge that turns arguments into library calls and results into text.

Library errors become one-line messages and exit code 1 here; nothing below this module prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.settings import Settings

BUNDLED_SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {"index_dir": args.index_dir} if args.index_dir else {}
    return Settings(**overrides)


def _open(args: argparse.Namespace) -> Any:
    from assistant.core import Assistant

    return Assistant(_settings(args))


def _progress_bar() -> tuple[Callable[[int, int, str], None], Callable[[], None]]:
    """A tqdm bar on stderr (shown on a terminal only) driven by the indexer's progress callback."""
    from tqdm import tqdm

    bar: dict[str, Any] = {}

    def update(done: int, total: int, what: str) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, unit="article", file=sys.stderr, disable=None, dynamic_ncols=True)
        bar["bar"].update(done - bar["bar"].n)

    def close() -> None:
        if "bar" in bar:
            bar["bar"].close()

    return update, close


def cmd_index(args: argparse.Namespace) -> int:
    paths = args.paths or [str(BUNDLED_SEEDS)]
    assistant = _open(args)
    update, close = _progress_bar()
    try:
        report = assistant.index(paths, sync=args.sync, progress=update)
    finally:
        close()
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
        return 0
    counts = report.to_dict()
    print(
        f"Index {assistant.index_dir}: {counts['added']} added, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged, {counts['deleted']} deleted, {len(report.refused)} refused."
    )
    for refusal in report.refused:
        print(f"  refused {refusal.path}: {refusal.reason}")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.retrieval import SearchFilter

    search_filter = SearchFilter(tuple(args.source or ()), args.since, args.until)
    answer = _open(args).ask(args.question, k=args.k, search_filter=search_filter)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(answer.answer)
    if answer.quotes:
        print()
        for number, quote in enumerate(answer.quotes, start=1):
            print(f"[{number}] „{quote.text}“")
            print(
                f"    {_where(quote.title, quote.source, quote.published)} · {quote.article_id} "
                f"[{quote.start}:{quote.end}]"
            )
    if answer.abstained and answer.passages:
        print()
        for passage in answer.passages:
            print(f"- {passage.title or passage.article_id} (score {passage.score:.2f}): {passage.text[:160]}…")
    return 0


def _where(title: str, source: str, published: str | None) -> str:
    return " · ".join(part for part in (title, source, published or "") if part)


def cmd_status(args: argparse.Namespace) -> int:
    status = _open(args).status()
    data = {
        "articles": status.articles,
        "chunks": status.chunks,
        "embedding_model": status.embedding_model,
        "last_changed": status.last_changed,
    }
    print(json.dumps(data) if args.json else "\n".join(f"{key}: {value}" for key, value in data.items()))
    return 0


def cmd_article(args: argparse.Namespace) -> int:
    article = _open(args).article(args.article_id)
    if args.json:
        print(json.dumps(article.__dict__, ensure_ascii=False, indent=2))
    else:
        print(f"{_where(article.title, article.source, article.published)}\n{article.id}\n\n{article.text}")
    return 0


def cmd_model(args: argparse.Namespace) -> int:
    """Prepare the embedding model now (conversion of the bundled one), so the first question is fast."""
    assistant = _open(args)
    print(f"Preparing the embedding model {assistant.model_name!r} ...", file=sys.stderr)
    embeddings = assistant.embeddings
    data = {
        "embedding_model": embeddings.model_name,
        "dimension": embeddings.dimension,
        "max_seq_length": embeddings.max_seq_length,
    }
    print(json.dumps(data) if args.json else "\n".join(f"{key}: {value}" for key, value in data.items()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index-dir", help="data directory (default: index/, or ASSISTANT_INDEX_DIR)")
    common.add_argument("--json", action="store_true", help="print the result as JSON")
    parser = argparse.ArgumentParser(prog="assistant", description="Ask questions about news articles.")
    commands = parser.add_subparsers(dest="command", required=True)

    index = commands.add_parser("index", parents=[common], help="index files and folders (default: seeds/)")
    index.add_argument("paths", nargs="*", help=".txt .md .html .json .jsonl files or folders")
    index.add_argument("--sync", action="store_true", help="delete articles that disappeared from the folders")
    index.set_defaults(run=cmd_index)

    ask = commands.add_parser("ask", parents=[common], help="answer a question with quoted source passages")
    ask.add_argument("question")
    ask.add_argument("-k", type=int, default=None, help="how many passages to retrieve (default 4)")
    ask.add_argument("--source", action="append", help="only articles from this source (repeatable)")
    ask.add_argument("--since", help="only articles published on or after YYYY-MM-DD")
    ask.add_argument("--until", help="only articles published on or before YYYY-MM-DD")
    ask.set_defaults(run=cmd_ask)

    status = commands.add_parser("status", parents=[common], help="what the index holds")
    status.set_defaults(run=cmd_status)

    article = commands.add_parser("article", parents=[common], help="print a stored article")
    article.add_argument("article_id")
    article.set_defaults(run=cmd_article)
    model = commands.add_parser("model", parents=[common], help="prepare the embedding model (done by setup)")
    model.set_defaults(run=cmd_model)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except AssistantError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
