"""What programs may do with the archive, checked once for every way in (JSON API, OpenAI-compatible, MCP).

Input arrives as JSON from strangers, so every value is taken as ``object`` and checked with the chat's own
checks (`assistant.validation`: question length, ``k`` from 1 to ``max_top_k``, source names, days); a refusal
is an `InvalidInputError` whose message says what to send instead. Nothing here knows HTTP or MCP.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assistant.answering.retrieval import SearchFilter
from assistant.answers import Answer, Passage
from assistant.articles import Article
from assistant.core import MAX_TIMELINE_ENTRIES, Assistant
from assistant.errors import InvalidInputError
from assistant.ingest.web import is_url
from assistant.serve.user_store import UserStore, user_store_for
from assistant.timeline.building import MAX_ENTRIES
from assistant.validation import check_k, check_sources, parse_day, search_filter_from

JsonObject = Mapping[str, object]
MAX_ID_CHARS = 1000
"""Article ids are paths or URLs; longer is no id of this index."""
ASK_FIELDS = ("question", "k", "sources", "since", "until")
TIMELINE_FIELDS = ("question", "since", "until", "sources", "as_of", "max_entries")
MAX_STORY_ID_CHARS = 200
"""Story ids are short hashes; longer is no story of this index."""


@dataclass(frozen=True)
class Question:
    """A question with its options, checked: what `Assistant.ask`, `retrieve` and `chat` take."""

    text: str
    k: int | None
    search_filter: SearchFilter | None


def question_from(body: JsonObject, maximum_k: int, *, allowed: Sequence[str] = ASK_FIELDS) -> Question:
    """``{"question", "k", "sources", "since", "until"}`` (all but the question optional), checked; an unknown
    field is refused by name (a typo such as ``top_k`` must not be ignored silently)."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise InvalidInputError(f"unknown field {unknown[0]!r}: send only {', '.join(allowed)}")
    question = body.get("question")
    if not isinstance(question, str):
        raise InvalidInputError('"question" is required and must be text, e.g. {"question": "Wer vermittelt?"}')
    k = check_k(body.get("k"), maximum_k)
    search_filter = search_filter_from(body.get("sources"), body.get("since"), body.get("until"), ("since", "until"))
    return Question(question, k, search_filter)


def check_article_id(article_id: object) -> str:
    if not isinstance(article_id, str) or not article_id.strip() or len(article_id) > MAX_ID_CHARS:
        raise InvalidInputError("an article id is the text an answer's quote or passage names as article_id")
    return article_id


def check_fields(given: Sequence[str], allowed: Sequence[str]) -> None:
    """An unknown field or query parameter is refused by name (a typo such as ``from`` must not be ignored)."""
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise InvalidInputError(f"unknown parameter {unknown[0]!r}: send only {', '.join(allowed)}")


def check_window(since: object, until: object) -> tuple[str | None, str | None]:
    """A publication window of typed days (ISO or German), refused when a day is no day or the window is empty."""
    day_from, day_to = parse_day(since, "since"), parse_day(until, "until")
    if day_from and day_to and day_from > day_to:
        raise InvalidInputError(f"the window is empty: since {day_from} is after until {day_to}")
    return day_from, day_to


def check_story_id(story_id: object) -> str:
    if not isinstance(story_id, str) or not story_id.strip() or len(story_id) > MAX_STORY_ID_CHARS:
        raise InvalidInputError("a story id is the text `stories` lists as id")
    return story_id


def check_max_entries(value: object) -> int:
    """How many entries a timeline may hold: a whole number from 1 to `MAX_TIMELINE_ENTRIES` (default a dozen)."""
    if value is None:
        return MAX_ENTRIES
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)  # JSON numbers may arrive as 12.0
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TIMELINE_ENTRIES:
        raise InvalidInputError(f"max_entries must be a whole number from 1 to {MAX_TIMELINE_ENTRIES}")
    return value


def check_urls(urls: object, limit: int) -> list[str]:
    """A list of http(s) addresses (each once, at most `limit`): never a local path, which `index` would read."""
    if isinstance(urls, str) or not isinstance(urls, Sequence) or not urls:
        raise InvalidInputError('"urls" must be a non-empty list of http(s) addresses, e.g. ["https://…/feed.xml"]')
    wanted = list(dict.fromkeys(urls))
    if len(wanted) > limit:
        raise InvalidInputError(f"at most {limit} addresses at once (ASSISTANT_MAX_UPLOAD_FILES), got {len(wanted)}")
    for url in wanted:
        if not isinstance(url, str) or not is_url(url):
            raise InvalidInputError(f"not an http:// or https:// address: {str(url)[:80]!r}")
    return [str(url) for url in wanted]


class Operations:
    """The archive's operations for programs, over one `Assistant` (safe to call from several threads)."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def user_store(self) -> UserStore:
        """Where users' conversations are kept (opened at first use: a Chroma server is asked only then)."""
        return user_store_for(self.assistant)

    @property
    def max_k(self) -> int:
        return self.assistant.settings.max_top_k

    def ask(self, body: JsonObject) -> Answer:
        question = question_from(body, self.max_k)
        return self.assistant.ask(question.text, k=question.k, search_filter=question.search_filter)

    def search(self, body: JsonObject) -> list[Passage]:
        question = question_from(body, self.max_k)
        return self.assistant.retrieve(question.text, question.k, search_filter=question.search_filter)

    def article(self, article_id: object) -> Article:
        return self.assistant.article(check_article_id(article_id))

    def status(self) -> dict[str, int | str | float | None]:
        return self.assistant.status().as_dict()

    def stories(self, since: object = None, until: object = None, sources: object = None) -> list[dict[str, object]]:
        """The stories with an article in [since, until] from one of `sources`: `assistant stories --json`."""
        day_from, day_to = check_window(since, until)
        chosen = list(check_sources(sources)) or None
        return [s.to_dict() for s in self.assistant.stories(since=day_from, until=day_to, sources=chosen)]

    def story(self, story_id: object) -> dict[str, object]:
        """One story's page (`assistant story ID --json`); an unknown id is a `StoryNotFoundError`."""
        return self.assistant.story(check_story_id(story_id)).to_dict()

    def compare(self, body: JsonObject) -> dict[str, object]:
        """How outlets report what ``{"question"}`` is about (`assistant compare --json`)."""
        check_fields(list(body), ("question",))
        question = body.get("question")
        if not isinstance(question, str):
            raise InvalidInputError('"question" is required and must be text, e.g. {"question": "Brand auf Lesbos"}')
        return self.assistant.compare(question).to_dict()

    def timeline(self, body: JsonObject) -> dict[str, object]:
        """A development question as a timeline (`assistant timeline --json`): ``{"question"}`` and optionally
        ``since``/``until`` (days the events lie in), ``sources``, ``as_of`` (the day taken as "now" for the
        question's time words) and ``max_entries``."""
        check_fields(list(body), TIMELINE_FIELDS)
        question = body.get("question")
        if not isinstance(question, str):
            raise InvalidInputError(
                '"question" is required and must be text, e.g. {"question": "Wie hat sich der Streik entwickelt?"}'
            )
        days = ("since", "until")
        search_filter = search_filter_from(body.get("sources"), body.get("since"), body.get("until"), days)
        as_of = parse_day(body.get("as_of"), "as_of")
        max_entries = check_max_entries(body.get("max_entries"))
        found = self.assistant.timeline(question, search_filter=search_filter, as_of=as_of, max_entries=max_entries)
        return found.to_dict()

    def digest(self, since: object, until: object = None, arrived_since: object = None) -> list[dict[str, object]]:
        """What is new since a day or a duration, or what arrived (was indexed) since a time (`assistant digest
        --json`)."""
        if arrived_since is not None:
            if not isinstance(arrived_since, str | int | float) or isinstance(arrived_since, bool):
                raise InvalidInputError(
                    '"arrived_since" is a time (2024-03-01T12:00), a day, a duration or Unix seconds'
                )
            if since is not None or until is not None:
                raise InvalidInputError(
                    'a digest takes "since"/"until" (publication days) or "arrived_since", not both'
                )
            text = arrived_since.strip() if isinstance(arrived_since, str) else arrived_since
            if text == "":
                raise InvalidInputError('"arrived_since" is empty: a time, a day (2024-03-01), 36h or Unix seconds')
            return [s.to_dict() for s in self.assistant.digest(arrived_since=text)]
        if not isinstance(since, str) or not since.strip():
            raise InvalidInputError(
                '"since" is required: a day (2024-03-01, 1.3.2024) or a duration (3d, 2w, 36h); or "arrived_since"'
            )
        if until is not None and not isinstance(until, str):
            raise InvalidInputError('"until" is a day (2024-03-31 or 31.3.2024)')
        return [s.to_dict() for s in self.assistant.digest(since, until or None)]

    def index_urls(self, urls: object) -> dict[str, object]:
        """Fetch and index article pages and feeds; the CLI's ``index --json`` report and the ids written."""
        report = self.assistant.index(check_urls(urls, self.assistant.settings.max_upload_files))
        return {**report.to_dict(), "article_ids": [*report.added, *report.updated]}


def passage_dict(passage: Passage) -> dict[str, object]:
    """A passage with where it stands (outlet, day, link): what a program shows or cites."""
    return {**passage.to_dict(), "source": passage.source, "published": passage.published, "url": passage.url}


def article_dict(article: Article) -> dict[str, object]:
    """The stored article: the text quote offsets point into, and its metadata (`assistant article --json`)."""
    return dict(article.__dict__)
