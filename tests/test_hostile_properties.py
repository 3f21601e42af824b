"""Property-based tests (Hypothesis): random bytes, random Unicode and random JSON, as files of every
supported type, never make the loader or the indexer raise; what is stored is clean text, and every quote
and passage of every answer is a verbatim slice of the stored article.

The indexer property runs the real pipeline (real Chroma on disk, the real packaged model) on few, small
examples, so it stays within seconds.
"""

from __future__ import annotations

import json
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assistant import Article, Assistant, Settings
from assistant.decoding import clean_text, has_lone_surrogate
from assistant.embeddings.sentence_transformers_backend import SentenceTransformerEmbeddings
from assistant.errors import EmptyQuestionError, IndexNotFoundError, InvalidArticleError
from assistant.ingest.files import SUPPORTED_SUFFIXES
from assistant.ingest.loading import load_paths

ANY_CHAR = st.characters(codec=None, exclude_categories=())  # surrogates, controls, unassigned: everything
TRICKY = ["ä", "ö", "ü", "ß", "„", "“", "–", "…", "€", " ", "\n", "\t", ". ", "Der ", "Satz", "\x1b[31m",
          "\x00", "\ud800", "\r\n", "u\u0308", "\u202e", "\x9b2J", "\ufeff", "---\n", "id: x\n", "<p>", "</p>",
          "{"]  # fmt: skip
RANDOM_TEXT = st.one_of(
    st.text(ANY_CHAR, max_size=200),
    st.lists(st.sampled_from(TRICKY), max_size=60).map("".join),
)
JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), RANDOM_TEXT
)
JSON_VALUES = st.recursive(
    JSON_SCALARS, lambda kids: st.lists(kids, max_size=3) | st.dictionaries(RANDOM_TEXT, kids, max_size=3), max_leaves=8
)
RECORDS = st.fixed_dictionaries(
    {"text": RANDOM_TEXT},
    optional={
        "id": RANDOM_TEXT | st.integers(),
        "title": RANDOM_TEXT,
        "source": RANDOM_TEXT,
        "url": RANDOM_TEXT,
        "published": RANDOM_TEXT,
    },
)
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "utf-16", "cp1252", "latin-1"]


@st.composite
def file_contents(draw: st.DrawFn) -> bytes:
    """Random bytes, random text in a random encoding (invalid where it cannot be encoded), or random JSON."""
    kind = draw(st.sampled_from(["bytes", "text", "json", "jsonl"]))
    if kind == "bytes":
        return draw(st.binary(max_size=600))
    if kind == "text":
        text, encoding = draw(RANDOM_TEXT), draw(st.sampled_from(ENCODINGS))
        errors = "surrogatepass" if encoding.startswith("utf") else "replace"
        return text.encode(encoding, errors=errors)
    ascii_only = draw(st.booleans())
    if kind == "json":
        value = draw(st.one_of(JSON_VALUES, RECORDS, st.lists(RECORDS | JSON_VALUES, max_size=3)))
        return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", errors="surrogatepass")
    lines = draw(st.lists(RECORDS | JSON_VALUES, max_size=4))
    text = "\n".join(json.dumps(line, ensure_ascii=ascii_only) for line in lines)
    return text.encode("utf-8", errors="surrogatepass")


FILES = st.lists(st.tuples(st.sampled_from(SUPPORTED_SUFFIXES), file_contents()), min_size=1, max_size=3)


def write_files(folder: Path, files: list[tuple[str, bytes]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for number, (suffix, content) in enumerate(files):
        (folder / f"datei-{number}{suffix}").write_bytes(content)
    return folder


def assert_clean(article: Article) -> None:
    """What the loader stores: non-blank NFC text without control characters but tab and newline."""
    assert article.text.strip() and article.text == clean_text(article.text)
    assert unicodedata.is_normalized("NFC", article.text)
    for value in (article.text, article.title, article.source, article.url, article.id):
        assert not has_lone_surrogate(value)
        assert not any((ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F for c in value)
    assert len(article.content_hash) == 64


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=FILES)
def test_the_loader_never_raises_and_stores_clean_text(files: list[tuple[str, bytes]]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = write_files(Path(scratch) / "news", files)
        result = load_paths([folder], id_base=Path(scratch))
    for article in result.articles:
        assert_clean(article)
    assert all(refusal.reason.strip() for refusal in result.refusals)
    assert len(result.articles) + len(result.refusals) >= 1


def python_articles(texts: list[str]) -> list[Article]:
    """Articles as a Python caller gives them (unclean text allowed); unusable ones raise at once."""
    made = []
    for number, text in enumerate(texts):
        try:
            made.append(Article(id=f"py-{number}", text=text, title=text[:30]))
        except InvalidArticleError:
            continue
    return made


@pytest.mark.slow
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(files=FILES, texts=st.lists(RANDOM_TEXT, max_size=2), questions=st.lists(RANDOM_TEXT, min_size=1, max_size=1))
@example(files=[(".txt", b"+")], texts=[], questions=["\ud800"]).via("found: bm25s failed on a wordless index")
@example(files=[(".txt", b"\tO")], texts=[], questions=["\ud800 Frage"]).via("found: the tokenizer refused a surrogate")
def test_the_indexer_never_raises_and_every_quote_verifies(
    embeddings: SentenceTransformerEmbeddings, files: list[tuple[str, bytes]], texts: list[str], questions: list[str]
) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        assistant = Assistant(Settings(index_dir=Path(scratch) / "index"), embeddings=embeddings)
        try:
            folder = write_files(Path(scratch) / "news", files)
            report = assistant.index([folder, *python_articles(texts)])
            assert assistant.status().articles == len(report.added)
            stored = assistant.articles()
            words = [word for article in stored for word in article.text.split()[:3]]
            for question in [*questions, " ".join(words[:4])]:
                assert_answer_verifies(assistant, question)
        finally:
            assistant.close()


def assert_answer_verifies(assistant: Assistant, question: str) -> None:
    """Every quote and passage is the stored article's text at its offsets (or a clear error, no crash)."""
    try:
        answer = assistant.ask(question)
    except (EmptyQuestionError, IndexNotFoundError):
        return
    for item in [*answer.quotes, *answer.passages]:
        assert assistant.article(item.article_id).text[item.start : item.end] == item.text
