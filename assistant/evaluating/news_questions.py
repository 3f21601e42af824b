"""A news archive with reading questions, as `assistant eval` reads it: articles and questions.

The format is FANG-COVID's (German news 2020-2021): ``articles.jsonl`` with the fields ``url, date, source,
header, article``, read into `Article` as they are (id = the url, which the questions point at; the text
untouched, so the gold sentences stay verbatim), and the questions as a JSON list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from assistant.articles import Article
from assistant.errors import ConfigurationError

ENGLISH_ID_SUFFIX = "-en"
"""`questions_en.json` gives the same ids with this suffix: dropped, so both files pair up by id."""


@dataclass(frozen=True)
class NewsQuestion:
    """One question: gold answer, article (url) and sentence for answerable ones, None for the others."""

    id: str
    question: str
    answer: str | None
    url: str | None
    sentence: str | None
    topic: str


def read_articles(path: str | Path) -> list[Article]:
    """``articles.jsonl``: one article per line, its fields converted to `Article`'s."""
    articles = []
    try:
        lines = Path(path).read_text(encoding="utf-8").split("\n")  # not splitlines: texts hold U+2028
        for line in lines:
            if line.strip():
                record = json.loads(line)
                articles.append(
                    Article(
                        id=record["url"],
                        text=record["article"],
                        title=record.get("header") or "",
                        source=record.get("source") or "",
                        url=record["url"],
                        published=record.get("date") or None,
                    )
                )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigurationError(f"cannot read FANG-COVID articles {path}: {error}") from error
    return articles


def read_questions(path: str | Path) -> list[NewsQuestion]:
    """``questions.json`` or ``questions_en.json``."""
    try:
        records = json.loads(Path(path).read_text(encoding="utf-8"))
        return [
            NewsQuestion(
                str(r["id"]).removesuffix(ENGLISH_ID_SUFFIX),
                r["question"],
                r.get("answer") if r.get("answerable") else None,
                r.get("url") if r.get("answerable") else None,
                r.get("sentence") if r.get("answerable") else None,
                str(r.get("topic", "")),
            )
            for r in records
        ]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigurationError(f"cannot read FANG-COVID questions {path}: {error}") from error


def is_question_list(path: str | Path) -> bool:
    """Whether a QA file is in this format (a JSON list of questions) rather than SQuAD's (``{"data": …}``)."""
    try:
        with Path(path).open(encoding="utf-8") as handle:
            return handle.read(64).lstrip().startswith("[")
    except OSError:
        return False
