"""The ``assistant`` command: a thin edge that turns arguments into library calls and results into text.

Library errors become one-line messages and exit code 1 here; nothing below this module prints.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Never, Protocol

from assistant.answers import on_one_line
from assistant.decoding import printable
from assistant.errors import AssistantError, IndexNotFoundError, InvalidInputError, ModelMismatchError, UsersFileError
from assistant.phrases import phrase
from assistant.settings import Settings

if TYPE_CHECKING:
    from tqdm import tqdm

    from assistant.answers import Answer
    from assistant.core import Assistant
    from assistant.stories.sentences import Sentence

BUNDLED_SEEDS = Path(str(resources.files("assistant").joinpath("bundled", "seeds")))
"""The repository's ``seeds/`` (what a bare `assistant index` indexes), package data of an installed wheel."""
# What json.dumps(ensure_ascii=False) leaves raw but a terminal may obey or cannot print: C1 controls (0x9b
# starts an escape sequence), bidi overrides, lone surrogates. Escaped as \uXXXX: the same JSON value.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def say(text: str = "", *, end: str = "\n") -> None:
    """Print text that may come from articles: never a control character or escape sequence (defence in
    depth: loading already removes them, but an index built before that, or from Python, may hold them)."""
    print(printable(text), end=end, flush=True)


def say_json(value: object, *, indent: int | None = None) -> None:
    """Print JSON for a terminal: the same value, with characters a terminal would obey escaped."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    print(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text))


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, str] = {"index_dir": args.index_dir} if args.index_dir else {}
    if vars(args).get("as_of"):  # `ask` and `timeline`: the day taken as today for the question's time words
        overrides["as_of"] = args.as_of
    return Settings(**overrides)


_PRELOADED = {"ask", "serve", "mcp"}  # commands that need the model at once: it loads while the rest is imported


def _open(args: argparse.Namespace) -> Assistant:
    """The assistant; for `ask` and `serve` its model starts loading in the background first, while the rest of
    the question path (vector store, keyword index, the chat) is imported."""
    settings = _settings(args)
    embeddings = None
    if args.command in _PRELOADED:
        from assistant.embeddings.choice import embeddings_for

        embeddings = embeddings_for(settings)
        embeddings.preload()
    from assistant.core import Assistant

    return Assistant(settings, embeddings=embeddings)


def _progress_bar() -> tuple[Callable[[int, int, str], None], Callable[[], None]]:
    """A tqdm bar on stderr (shown on a terminal only) driven by the indexer's progress callback."""
    from tqdm import tqdm

    from assistant.indexing.progress import Phase

    shown: dict[str, tqdm[Never]] = {}  # the phase now shown, and its bar

    def update(done: int, total: int, what: str) -> None:
        phase = what if isinstance(what, Phase) else "articles"
        if phase not in shown:  # tagging and dating an older index come first, then the articles: a bar each
            close()
            desc = str(phase) if isinstance(phase, Phase) else None
            shown[phase] = tqdm(
                total=total, unit="article", desc=desc, file=sys.stderr, disable=None, dynamic_ncols=True
            )
        bar = shown[phase]
        if bar.total != total:  # a record file is streamed: its total grows as it is read
            bar.total = total
        bar.update(done - bar.n)

    def close() -> None:
        for bar in shown.values():
            bar.close()
        shown.clear()

    return update, close


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _finish_uploads(assistant: Assistant) -> None:
    """Settle what a chat killed mid-upload left in the index's uploads folder, one line each on stderr."""
    from assistant.serve.uploads import finish_interrupted

    for line in finish_interrupted(assistant.index_dir / "uploads", lambda paths: assistant.index(paths, waiting=_say)):
        _say(printable(line))


def cmd_index(args: argparse.Namespace) -> int:
    paths = args.paths or [str(BUNDLED_SEEDS)]
    assistant = _open(args)
    _finish_uploads(assistant)
    update, close = _progress_bar()
    try:
        report = assistant.index(
            paths,
            sync=args.sync,
            progress=update,
            refetch=args.refetch,
            allow_private=True,
            waiting=_say,
            fields=_fields(args),
        )
    finally:
        close()
    if args.json:
        say_json(report.to_dict())
        return 0
    counts = report.to_dict()
    say(
        f"Indexed into {assistant.index_dir}/: {counts['added']} added, {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged, {counts['deleted']} deleted, {len(report.refused)} refused."
    )
    for line in _fields_lines(report.fields):
        say(line)
    for refusal in report.refused:
        say(f"  refused {refusal.path}: {refusal.reason}")
    return 0


def _fields_lines(fields: dict[str, dict[str, str]]) -> list[str]:
    """The fields record files were read with, one line per mapping (a folder of JSON files read alike is one
    line, not one per file)."""
    files_of: dict[str, list[str]] = {}
    for path, used in fields.items():
        files_of.setdefault(", ".join(f"{name}={field}" for name, field in used.items()), []).append(path)
    lines = []
    for mapping, paths in files_of.items():
        where = (
            paths[0] if len(paths) == 1 else f"{len(paths)} files ({', '.join(paths[:2])}{', …' * (len(paths) > 2)})"
        )
        lines.append(f"  fields of {where}: {mapping}")
    return lines


def _fields(args: argparse.Namespace) -> dict[str, str]:
    """``--field text=Artikel`` options as the field mapping (InvalidInputError for a malformed one)."""
    from assistant.ingest.formats.fields import parse_field_options

    return parse_field_options(args.field)


def cmd_watch(args: argparse.Namespace) -> int:
    """Index the folders and feeds, then follow their changes, one line per change, until Ctrl+C."""
    import time

    from assistant.watching import WatchPlan, folders_of, parse_every, watch

    try:
        plan = WatchPlan(folders_of(args.folders), tuple(args.feed), parse_every(args.every), _fields(args))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not plan.folders and not plan.feeds:
        print("error: give at least one folder or --feed URL to watch", file=sys.stderr)
        return 2
    assistant = _open(args)
    watched = ", ".join([*map(str, plan.folders), *plan.feeds])
    print(f"Watching {watched} for {assistant.index_dir}/ (Ctrl+C stops)", file=sys.stderr, flush=True)

    def log(line: str) -> None:
        say(f"{time.strftime('%H:%M:%S')} {line}")

    watch(assistant, plan, log)
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.validation import search_filter_from

    search_filter = search_filter_from(args.source, args.since, args.until, labels=("--since", "--until"))
    assistant = _open(args)
    if args.json:
        say_json(assistant.ask(args.question, k=args.k, search_filter=search_filter).to_dict(), indent=2)
        return 0
    answer, streamed = _print_stream(assistant.chat(args.question, k=args.k, search_filter=search_filter))
    if answer.answer != streamed.strip():  # what stands is the checked answer, with only verified quotes
        say(f"{phrase(answer.language, 'checked_answer')}\n{answer.answer}")
    if answer.notice and answer.notice not in answer.answer:
        say(f"⚠ {answer.notice}")
    if answer.quotes:
        say()
        _print_quotes(answer)
    if answer.abstained and answer.passages:
        say()
        for passage in answer.passages:
            shown = on_one_line(passage.text)[:160]
            say(f"- {passage.title or passage.article_id} (score {passage.score:.2f}): {shown}…")
    return 0


def cmd_timeline(args: argparse.Namespace) -> int:
    """A development question as a timeline: one line per event day, its verbatim sentence and where it stands."""
    from assistant.validation import search_filter_from

    search_filter = search_filter_from(args.source, args.since, args.until, labels=("--since", "--until"))
    timeline = _open(args).timeline(
        args.question, search_filter=search_filter, as_of=args.as_of, max_entries=args.max_entries
    )
    if args.json:
        say_json(timeline.to_dict(), indent=2)
        return 0
    if not timeline.entries:
        say(phrase(timeline.language, "timeline_empty"))
        return 0
    for entry in timeline.entries:
        when = entry.day.shown()
        for quote in entry.quotes:
            say(f"{when}  „{on_one_line(quote.text)}“")
            where = _where(quote.title, quote.source, quote.published)
            say(f"    {where} · {quote.article_id} [{quote.start}:{quote.end}]")
        if entry.also_in:
            say(f"    {phrase(timeline.language, 'also_in')}: {', '.join(entry.also_in)}")
    return 0


def cmd_eval_timeline(args: argparse.Namespace) -> int:
    """Timelines and the baseline against a timelines.json file: date P/R/F1, evidence, verbatim, latency."""
    from assistant.timeline import evaluation

    report = evaluation.run(_open(args), args.timelines_file, max_entries=args.max_entries)
    print(json.dumps(report.to_dict(), ensure_ascii=False) if args.json else evaluation.report_text(report))
    return 0


def _print_quotes(answer: Answer) -> None:
    """Each quote, numbered as cited, with where it stands (and the outlets that carried the same story)."""
    copies = {p.article_id: p.also_in for p in answer.passages if p.also_in}
    for number, quote in enumerate(answer.quotes, start=1):
        say(f"[{number}] „{on_one_line(quote.text)}“")
        say(
            f"    {_where(quote.title, quote.source, quote.published)} · {quote.article_id} [{quote.start}:{quote.end}]"
        )
        if quote.day:
            day = phrase(answer.language, "quote_day").format(day=quote.day, published=quote.published or "?")
            say(f"    {day}")
        if quote.article_id in copies:
            say(f"    {phrase(answer.language, 'also_in')}: {', '.join(copies[quote.article_id])}")


def _print_stream(items: Iterable[str | Answer]) -> tuple[Answer, str]:
    """Print the answer's text as it arrives; return the final `Answer` (the stream's last item) and the text.

    Each piece is printed when the next one arrives, so a quoted answer's short answer ("Kurz: Katars", known
    only with the final `Answer`) stands first, as in the chat. A written (generated) answer is followed by a
    blank line before the checked parts; a quoted one by none."""
    from assistant.answers import Answer

    pieces: list[str] = []
    for item in items:
        if isinstance(item, Answer):
            if item.short_answer is not None and not item.generated:
                say(f"{phrase(item.language, 'short_answer')}: {on_one_line(item.short_answer.text)}")
            if pieces:
                say(pieces[-1], end="")
                say("\n" if item.generated else "")
            return item, "".join(pieces)
        if pieces:
            say(pieces[-1], end="")
        pieces.append(item)
    raise RuntimeError("the answer stream ended without an answer")


def _where(title: str, source: str, published: str | None) -> str:
    return " · ".join(part for part in (title, source, published or "") if part)


def cmd_status(args: argparse.Namespace) -> int:
    status = _open(args).status()
    if args.json:
        print(json.dumps(status.as_dict()))
        return 0
    changed = "never" if status.last_changed is None else _utc_time(status.last_changed)
    say(
        f"articles: {status.articles}\nchunks: {status.chunks}\n"
        f"embedding model: {status.embedding_model or 'none yet'}\nlast changed: {changed}"
    )
    return 0


def _utc_time(timestamp: float) -> str:
    """A Unix time as a person reads it; UTC, so two machines' outputs agree."""
    import datetime as dt

    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def cmd_article(args: argparse.Namespace) -> int:
    article = _open(args).article(args.article_id)
    if args.json:
        say_json(article.__dict__, indent=2)
    else:
        say(f"{_where(article.title, article.source, article.published)}\n{article.id}\n\n{article.text}")
    return 0


def _typed_day(text: str | None, flag: str) -> str | None:
    from assistant.dates import parse_typed_day
    from assistant.errors import InvalidInputError

    if text is None:
        return None
    day = parse_typed_day(text)
    if day is None:
        raise InvalidInputError(f"{flag} takes a day (2024-03-01 or 1.3.2024), not {text!r}")
    return day


def cmd_stories(args: argparse.Namespace) -> int:
    """Every story of the archive (or those with articles in --since/--until, from --source), latest first."""
    since, until = _typed_day(args.since, "--since"), _typed_day(args.until, "--until")
    stories = _open(args).stories(since=since, until=until, sources=args.source)
    if args.json:
        say_json([story.to_dict() for story in stories], indent=2)
        return 0
    for story in stories:
        outlets = ", ".join(f"{o.source} {o.articles}" for o in story.outlets)
        say(f"{story.id}  {_days(story.first_seen, story.last_update)}  {_articles(len(story.article_ids))}")
        say(f"    {story.title}")
        say(f"    {outlets}")
    if not stories:
        say("no stories")
    return 0


def cmd_story(args: argparse.Namespace) -> int:
    page = _open(args).story(args.story_id)
    if args.json:
        say_json(page.to_dict(), indent=2)
        return 0
    summary = page.summary
    say(
        f"{summary.title}\n{summary.id} · {_days(summary.first_seen, summary.last_update)}"
        f" · {_articles(len(summary.article_ids))}"
    )
    say("\nOutlets:")
    for outlet in summary.outlets:
        first = f", first {outlet.first_report}" if outlet.first_report else ""
        say(f"  {outlet.source}: {_articles(outlet.articles)}{first}")
    say("\nTimeline:")
    for quote in page.timeline:
        say(f"  {quote.date} „{on_one_line(quote.text)}“")
        say(f"      {quote.source} · {quote.article_id} [{quote.start}:{quote.end}]")
    say("\nArticles:")
    for article in page.articles:
        say(f"  {article.published or 'undated'} {article.source}: {article.title or article.id}")
    return 0


def _articles(count: int) -> str:
    return f"{count} article" if count == 1 else f"{count} articles"


def _days(first: str | None, last: str | None) -> str:
    """A story's span of publication days, "undated" when its articles carry none."""
    if first is None and last is None:
        return "undated"
    return f"{first or '?'} – {last or '?'}"


def _quote_line(quote: Sentence) -> str:
    where = f"{quote.source} · {quote.published or '?'} · {quote.article_id} [{quote.start}:{quote.end}]"
    return f"„{on_one_line(quote.text)}“\n      {where}"


def cmd_compare(args: argparse.Namespace) -> int:
    from assistant.language import guess_language
    from assistant.stories.comparison_answer import comparison_text

    comparison = _open(args).compare(args.question)
    if args.json:
        say_json(comparison.to_dict(), indent=2)
        return 0
    language = guess_language(args.question)
    lines, cited = comparison_text(comparison, language)
    if not lines:
        say(phrase(language, "compare_none"))
        return 0
    say(f"{comparison.story_id}\n" + "\n".join(lines))
    for n, sentence in enumerate(cited, 1):
        say(f"[{n}] {sentence.article_id} [{sentence.start}:{sentence.end}] · {sentence.published or '?'}")
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    stories = _open(args).digest(args.since, args.until, arrived_since=args.arrived_since)
    if args.json:
        say_json([story.to_dict() for story in stories], indent=2)
        return 0
    for story in stories:
        say(f"{story.story.title} ({story.story.id}) · {len(story.new_articles)} new articles")
        for item in story.items:
            mark = "UPDATE " if item.earlier is not None else ""
            say(f"  {mark}{_quote_line(item.sentence)}")
            if item.earlier is not None:
                say(f"      earlier: {_quote_line(item.earlier)}")
        if story.more:
            say(f"  … {story.more} more new sentences")
    if not stories:
        say("nothing arrived since then" if args.arrived_since else "nothing new in this window")
    return 0


def cmd_saved(args: argparse.Namespace) -> int:
    """Save, list, remove a question, or show what arrived about it since the user last looked."""
    from assistant.serve.saved_questions import SavedQuestions

    saved = SavedQuestions.of(_open(args), args.user)
    if args.action == "list":
        questions = saved.list()
        if args.json:
            say_json([question.to_dict() for question in questions], indent=2)
        for question in [] if args.json else questions:
            say(f"{question.id}  {question.question}")
        if not questions and not args.json:
            say(f"no saved questions for {args.user}")
        return 0
    if not args.value:
        raise InvalidInputError(f"`assistant saved {args.action}` needs a {_SAVED_VALUE[args.action]}")
    if args.action == "add":
        question = saved.save(args.value)
        say_json(question.to_dict(), indent=2) if args.json else say(f"saved {question.id}  {question.question}")
    elif args.action == "remove":
        saved.remove(args.value)
        say_json({"removed": args.value}) if args.json else say(f"removed {args.value}")
    else:
        _say_saved_digest(saved.digest(args.value).to_dict(), args.json)
    return 0


_SAVED_VALUE = {"add": "QUESTION", "remove": "ID", "digest": "ID"}


def _say_saved_digest(data: dict[str, object], as_json: bool) -> None:
    if as_json:
        say_json(data, indent=2)
        return
    stories = data["stories"]
    assert isinstance(stories, list)
    for story in stories:
        say(f"{story['title']} ({story['id']}) · {len(story['new_articles'])} new articles")
        for item in story["sentences"]:
            say(f"  {'UPDATE ' if item['update'] else ''}{_quote_line(item)}")
            if item["update"]:
                say(f"      earlier: {_quote_line(item['earlier'])}")
    if not stories:
        say("nothing new since the last look")


def cmd_model(args: argparse.Namespace) -> int:
    """Prepare the embedding model now (the bundled one: converted, exported to ONNX and checked), so the
    first question is fast and needs no torch."""
    assistant = _open(args)
    print(f"Preparing the embedding model {assistant.model_name!r} ...", file=sys.stderr)
    from assistant.embeddings.onnx_backend import OnnxEmbeddings, verify_onnx_folder
    from assistant.embeddings.sentence_transformers_backend import SentenceTransformerEmbeddings

    embeddings = assistant.embeddings
    if not isinstance(embeddings, OnnxEmbeddings | SentenceTransformerEmbeddings):  # the settings choose one of them
        raise TypeError(f"unexpected embeddings {type(embeddings).__name__}")
    data: dict[str, str | int] = {
        "embedding_model": embeddings.model_name,
        "backend": type(embeddings).__name__,
        "dimension": embeddings.dimension,
        "max_seq_length": embeddings.max_seq_length,
    }
    if isinstance(embeddings, OnnxEmbeddings):
        verify_onnx_folder(embeddings.encoder.folder, full=True)
        data["onnx_folder"] = str(embeddings.encoder.folder)
        data["precision"] = embeddings.precision
    print(json.dumps(data) if args.json else "\n".join(f"{key}: {value}" for key, value in data.items()))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Index a SQuAD file's contexts (plus distractors), ask every question, print hit@k, quotes, latency."""
    from assistant import evaluation

    config = evaluation.EvalRun(
        args.qa_file, args.questions, args.distractors or [], args.k, args.unanswerable, args.seed,
        args.articles, args.limit, args.index_dir, args.corpus, args.remove_answer_sentences,
    )  # fmt: skip
    bars: dict[str, tqdm[Never]] = {}
    try:
        report = evaluation.run(config, progress=_eval_progress(bars))
    finally:
        for bar in bars.values():
            bar.close()
    if args.details:
        evaluation.write_details(report, args.details)
    data = report.to_dict()
    print(json.dumps(data, ensure_ascii=False) if args.json else evaluation.report_text(data))
    return 0


def _eval_progress(bars: dict[str, tqdm[Never]]) -> Callable[[str, int, int], None]:
    """One tqdm bar per stage (indexing, questions) on stderr; shown in logs too (eval runs are long)."""
    from tqdm import tqdm

    units = {"index": "article", "ask": "question"}
    interval = 0.1 if sys.stderr.isatty() else 10.0

    def update(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            unit = units.get(stage, "it")
            bars[stage] = tqdm(total=total, unit=unit, desc=stage, file=sys.stderr, mininterval=interval)
        bars[stage].update(done - bars[stage].n)
        if done >= total:
            bars[stage].close()

    return update


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the browser chat on HOST:PORT until interrupted; off this machine only with a login (or --no-auth)."""
    from assistant.serve.access import decide_access
    from assistant.serve.api_keys import ApiKeys, keys_path
    from assistant.serve.users import Users, users_path

    settings = _settings(args)
    keys = ApiKeys(keys_path(settings))
    users = Users(users_path(settings))
    access = decide_access(args.host, users, no_auth=args.no_auth, require_auth=args.auth, keys=keys)
    if access.warning:
        print(access.warning, file=sys.stderr, flush=True)
    print("Lade das Modell und starte den Chat …", file=sys.stderr, flush=True)
    assistant = _open(args)  # the model loads while the chat's modules are imported
    _finish_uploads(assistant)
    from assistant.serve.chat_app import serve, url_host

    try:
        serve(
            assistant,
            args.host,
            args.port,
            on_ready=lambda url: print(f"Chat läuft auf {url} (Strg+C beendet)", flush=True),
            auth=access.auth,
            sessions=access.sessions,
            keys=access.keys,
            open_caller=access.open_caller,
        )
    except OSError as error:  # the address is not this machine's, or the port is taken: one line, no traceback
        where = f"{url_host(args.host)}:{args.port}"
        print(f"error: cannot serve the chat on {where}: {printable(' '.join(str(error).split()))}", file=sys.stderr)
        return 1
    return 0


def cmd_mcp(args: argparse.Namespace) -> int:
    """Serve the archive's tools over MCP on standard input and output (for a desktop assistant or an IDE)."""
    assistant = _open(args)
    from assistant.serve.mcp_server import run_stdio
    from assistant.serve.operations import Operations

    try:
        run_stdio(Operations(assistant))
    finally:
        assistant.close()
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    """Add, list or remove the API keys programs send (the keys file holds hashes, never keys)."""
    from assistant.serve.api_keys import ApiKeys, KeysFileError, keys_path

    keys = ApiKeys(keys_path(_settings(args)))
    if args.action == "list":
        entries = keys.entries()
        if args.json:
            print(json.dumps([{"name": e.name, "created": e.created, "hint": e.hint} for e in entries]))
        else:
            print("\n".join(f"{e.name}\t{e.hint}…" for e in entries) or f"no keys in {keys.path}")
        return 0
    if not args.name:
        raise KeysFileError(f"`assistant keys {args.action}` needs a NAME")
    if args.action == "remove":
        keys.remove(args.name)
        print(f"removed the key {args.name} from {keys.path}; it stops working at once")
        return 0
    replacing = args.name in keys.names()
    key = keys.add(args.name)
    print(f"{'replaced' if replacing else 'added'} the key {args.name} in {keys.path}.", file=sys.stderr)
    print("Send it as 'Authorization: Bearer KEY'. It is shown only now:", file=sys.stderr, flush=True)
    print(key, flush=True)
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    """Add, list or remove who may log in to the chat (the users file holds hashes, never passwords)."""
    from assistant.serve.users import Users, users_path

    users = Users(users_path(_settings(args)))
    if args.action == "list":
        names = users.names()
        print(json.dumps(names) if args.json else "\n".join(names) or f"no users in {users.path}")
        return 0
    if not args.name:
        raise UsersFileError(f"`assistant users {args.action}` needs a NAME")
    if args.action == "remove":
        users.remove(args.name)
        print(f"removed {args.name} from {users.path}")
        return 0
    replaced = users.add(args.name, _read_password(args.password_stdin))
    print(f"{'changed the password of' if replaced else 'added'} {args.name} in {users.path}")
    return 0


def _read_password(from_stdin: bool) -> str:
    """The new password: the first line of standard input, or asked twice on the terminal (not echoed)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    password = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != password:
        raise UsersFileError("the two passwords differ; nothing was changed")
    return password


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index-dir", help="data directory (default: index/, or ASSISTANT_INDEX_DIR)")
    common.add_argument("--json", action="store_true", help="print the result as JSON")
    parser = argparse.ArgumentParser(prog="assistant", description="Ask questions about news articles.")
    commands = parser.add_subparsers(dest="command", required=True)
    _add_index_commands(commands, common)
    _add_question_commands(commands, common)
    _add_serve_commands(commands, common)
    _add_eval_command(commands)
    _add_timeline_commands(commands, common)
    return parser


class Commands(Protocol):
    """What the subcommands are added to: argparse's subparsers action (whose class argparse keeps private)."""

    def add_parser(
        self, name: str, *, help: str | None = ..., parents: Sequence[argparse.ArgumentParser] = ...
    ) -> argparse.ArgumentParser: ...


def _add_index_commands(commands: Commands, common: argparse.ArgumentParser) -> None:
    index = commands.add_parser("index", parents=[common], help="index files and folders (default: seeds/)")
    index.add_argument(
        "paths",
        nargs="*",
        help=".txt .md .html .json .jsonl .csv .tsv files or folders, article page or RSS/Atom feed URLs",
    )
    index.add_argument("--sync", action="store_true", help="delete articles that disappeared from the folders")
    index.add_argument("--refetch", action="store_true", help="fetch pages again even when already indexed")
    _add_field_option(index)
    index.set_defaults(run=cmd_index)

    watch = commands.add_parser("watch", parents=[common], help="keep indexing folders and feeds as they change")
    watch.add_argument("folders", nargs="*", help="folders whose files are indexed (or deleted) as they change")
    watch.add_argument("--feed", action="append", default=[], help="an RSS/Atom feed URL to poll (repeatable)")
    watch.add_argument("--every", default="15m", help="how often feeds are polled: 90s, 15m, 2h (default 15m)")
    _add_field_option(watch)
    watch.set_defaults(run=cmd_watch)


def _add_field_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="FIELD=NAME",
        help="read an article field from this record field of JSON/JSONL/CSV files, e.g. text=Artikel or "
        "published=Datum (repeatable; fields: text, title, published, url, source, id)",
    )


def _add_question_commands(commands: Commands, common: argparse.ArgumentParser) -> None:
    ask = commands.add_parser("ask", parents=[common], help="answer a question with quoted source passages")
    ask.add_argument("question")
    ask.add_argument("-k", type=int, default=None, help="how many passages to retrieve (default 4)")
    ask.add_argument("--source", action="append", help="only articles from this source (repeatable)")
    ask.add_argument("--since", help="only articles published on or after this day (2024-03-01 or 1.3.2024)")
    ask.add_argument("--until", help="only articles published on or before this day (2024-03-31 or 31.3.2024)")
    ask.add_argument("--as-of", help="the day taken as today for time words (default: today, or ASSISTANT_AS_OF)")
    ask.set_defaults(run=cmd_ask)

    status = commands.add_parser("status", parents=[common], help="what the index holds")
    status.set_defaults(run=cmd_status)
    article = commands.add_parser("article", parents=[common], help="print a stored article")
    article.add_argument("article_id")
    article.set_defaults(run=cmd_article)
    _add_story_commands(commands, common)
    model = commands.add_parser("model", parents=[common], help="prepare the embedding model (done by setup)")
    model.set_defaults(run=cmd_model)


def _add_story_commands(commands: Commands, common: argparse.ArgumentParser) -> None:
    stories = commands.add_parser("stories", parents=[common], help="the stories of the archive, latest first")
    stories.add_argument("--since", help="only stories with articles published on or after this day")
    stories.add_argument("--until", help="only stories with articles published on or before this day")
    stories.add_argument("--source", action="append", help="only stories an outlet reported (repeatable)")
    stories.set_defaults(run=cmd_stories)
    story = commands.add_parser("story", parents=[common], help="one story: outlets, timeline, articles")
    story.add_argument("story_id")
    story.set_defaults(run=cmd_story)
    compare = commands.add_parser("compare", parents=[common], help="how outlets report what a question is about")
    compare.add_argument("question")
    compare.set_defaults(run=cmd_compare)
    digest = commands.add_parser("digest", parents=[common], help="what is new since a day, a duration or a time")
    window = digest.add_mutually_exclusive_group(required=True)
    window.add_argument(
        "--since", help="first publication day: a day (2024-03-01, 1.3.2024) or a duration (3d, 2w, 36h)"
    )
    window.add_argument(
        "--arrived-since",
        metavar="WHEN",
        help="instead: what was indexed after WHEN (2024-03-01T12:00, a day, 36h, Unix seconds), any publication day",
    )
    digest.add_argument("--until", help="last publication day of the window (default: open; not with --arrived-since)")
    digest.set_defaults(run=cmd_digest)
    saved = commands.add_parser("saved", parents=[common], help="saved questions: what arrived since the last look")
    saved.add_argument("action", choices=["add", "list", "remove", "digest"])
    saved.add_argument("value", nargs="?", help="the question (add) or its id (remove, digest)")
    saved.add_argument("--user", default="local", help="whose saved questions (default: local, the one local user)")
    saved.set_defaults(run=cmd_saved)


def _add_serve_commands(commands: Commands, common: argparse.ArgumentParser) -> None:
    serve = commands.add_parser("serve", parents=[common], help="serve the browser chat (http://127.0.0.1:7860)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=7860, help="port to listen on (default 7860)")
    login = serve.add_mutually_exclusive_group()
    login.add_argument("--auth", action="store_true", help="require a login on 127.0.0.1 too (behind a proxy)")
    login.add_argument(
        "--no-auth", action="store_true", help="serve a non-loopback address WITHOUT login (prints a warning)"
    )
    serve.set_defaults(run=cmd_serve)

    users = commands.add_parser("users", parents=[common], help="who may log in to the chat (assistant serve)")
    users.add_argument("action", choices=["add", "list", "remove"])
    users.add_argument("name", nargs="?", help="the user name (add, remove)")
    users.add_argument("--password-stdin", action="store_true", help="read the password from standard input (add)")
    users.set_defaults(run=cmd_users)

    keys = commands.add_parser("keys", parents=[common], help="API keys for programs (JSON API, OpenAI, MCP)")
    keys.add_argument("action", choices=["add", "list", "remove"])
    keys.add_argument("name", nargs="?", help="what the key is for (add, remove), e.g. open-webui")
    keys.set_defaults(run=cmd_keys)

    mcp = commands.add_parser("mcp", parents=[common], help="serve the archive's tools over MCP on stdio")
    mcp.set_defaults(run=cmd_mcp)


def _add_timeline_commands(commands: Commands, common: argparse.ArgumentParser) -> None:
    from assistant.timeline.building import MAX_ENTRIES

    timeline = commands.add_parser("timeline", parents=[common], help="how a story developed, as a timeline")
    timeline.add_argument("question", help='e.g. "Wie hat sich der Wirecard-Skandal entwickelt?"')
    timeline.add_argument("--source", action="append", help="only articles from this source (repeatable)")
    timeline.add_argument("--since", help="only events on or after this day (2024-03-01 or 1.3.2024)")
    timeline.add_argument("--until", help="only events on or before this day (2024-03-31 or 31.3.2024)")
    timeline.add_argument("--as-of", help="the day taken as today for time words (default: today, or ASSISTANT_AS_OF)")
    timeline.add_argument(
        "--max-entries", type=int, default=MAX_ENTRIES, help=f"at most N entries (default {MAX_ENTRIES})"
    )
    timeline.set_defaults(run=cmd_timeline)

    evaluate = commands.add_parser(
        "eval-timeline", parents=[common], help="measure timelines on a timelines.json file (date F1, evidence)"
    )
    evaluate.add_argument("timelines_file", help="topics with question_de/question_en and dated gold events")
    evaluate.add_argument(
        "--max-entries", type=int, default=MAX_ENTRIES, help=f"entries per timeline (default {MAX_ENTRIES})"
    )
    evaluate.set_defaults(run=cmd_eval_timeline)


def _add_eval_command(commands: Commands) -> None:
    evaluate = commands.add_parser("eval", help="measure answers on a SQuAD-format file (hit@k, quotes, latency)")
    evaluate.add_argument(
        "qa_file", help="SQuAD-format JSON (data[].paragraphs[].context/qas), or FANG-COVID questions.json"
    )
    evaluate.add_argument("--corpus", help="the articles of FANG-COVID questions (default: articles.jsonl beside)")
    evaluate.add_argument(
        "--remove-answer-sentences",
        action="store_true",
        help="ask the answerable questions again with their answer sentences removed; they must abstain",
    )
    evaluate.add_argument(
        "--questions", help="ask the questions of this parallel SQuAD file (same ids), e.g. English on German"
    )
    evaluate.add_argument("--distractors", nargs="+", help="extra articles: folders, files, or a 10kGNAD .csv")
    evaluate.add_argument("--k", default="1,3,5,10", help="hit@k cut-offs, comma-separated (default 1,3,5,10)")
    evaluate.add_argument("--unanswerable", type=int, default=0, help="leave N SQuAD articles out; must abstain")
    evaluate.add_argument("--seed", type=int, default=0, help="chooses the left-out articles (default 0)")
    evaluate.add_argument("--articles", help="slice of SQuAD articles to ask about, e.g. 38:48 (index keeps all)")
    evaluate.add_argument("--limit", type=int, help="ask at most N questions, evenly spread")
    evaluate.add_argument("--index-dir", help="build/reuse this eval index (default: a temporary one)")
    evaluate.add_argument("--details", help="write one JSON line per question to this file")
    evaluate.add_argument("--json", action="store_true", help="print the report as one JSON object")
    evaluate.set_defaults(run=cmd_eval)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except AssistantError as error:
        print(f"error: {printable(str(error))}{_hint(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _hint(error: AssistantError) -> str:
    """What to type, for the errors whose library message says what to do in words (they reach the chat too)."""
    if isinstance(error, IndexNotFoundError):
        return " (`assistant index PATH`)"
    if isinstance(error, ModelMismatchError):
        return " (`assistant index PATH --index-dir NEW_DIR`)"
    return ""


if __name__ == "__main__":
    sys.exit(main())
