"""FANG-COVID records (``url, date, source, header, article``) as the project's `Article`s, for the benches.

Until the loader knows these field names, the benches convert them here: the id is the URL (unique in the set),
the publication day is the record's date (the loader's own date parser, so an index built here and one built by
the loader later agree)."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.articles import Article
from assistant.dates import parse_published

REPO = Path(__file__).resolve().parent.parent
FANG = REPO.parent / "shared" / "data" / "fang-covid"


def fang_articles(path: Path = FANG / "articles.jsonl") -> list[Article]:
    """Every record of the file as an `Article`, in file order."""
    articles = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        row = json.loads(line)
        articles.append(
            Article(
                id=row["url"],
                text=row["article"],
                title=row.get("header") or "",
                source=row.get("source") or "",
                url=row["url"],
                published=parse_published(row.get("date")),
            )
        )
    return articles
