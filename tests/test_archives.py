"""Archives as they are: JSON/JSONL with the field names news data comes with, CSV/TSV with a header (delimiter
sniffed) and 10kGNAD's header-less ``label;text`` rows, an explicit field mapping for anything else (reported
once per file), and record files of any size read a record at a time with the size limit per record.

Real files in tmp_path, a real index with the bundled model, the real CLI as a subprocess (FANG-COVID's archive
from ../shared when it is there).
"""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import Assistant, Settings
from assistant.articles import LoadResult
from assistant.embeddings.onnx_backend import OnnxEmbeddings
from assistant.errors import InvalidInputError
from assistant.ingest.formats.csv_records import GNAD_TEXT
from assistant.ingest.loading import FileFields, iter_paths, load_paths
from tests.helpers import SHARED

FANG = SHARED / "data" / "fang-covid" / "articles.jsonl"
GNAD = SHARED / "data" / "10kgnad" / "test.csv"
STREIK = "Die Lokführer streiken ab Montag. Die Bahn nennt den Streik unverhältnismäßig."
WASSER = "Die Schiffe auf dem Rhein bei Kaub trugen nur ein Drittel ihrer üblichen Ladung."


def load(folder: Path, *paths: Path, **options: object) -> LoadResult:
    return load_paths(list(paths), id_base=folder, **options)


def jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def reasons(result: LoadResult) -> dict[str, str]:
    return {refusal.path: refusal.reason for refusal in result.refusals}


# --------------------------------------------------------------------------- field names as they are


@pytest.mark.parametrize(
    ("record", "names"),
    [
        (  # FANG-COVID
            {"url": "https://zeit.de/a", "date": "2020-04-24T20:17:56+02:00", "source": "zeit.de", "header": "Streik",
             "article": STREIK},
            {"text": "article", "title": "header", "published": "date", "url": "url", "source": "source"},
        ),
        (  # news-please
            {"maintext": STREIK, "title": "Streik", "date_publish": "2020-04-24 20:17:56", "url": "https://zeit.de/a",
             "source_domain": "x", "domain": "zeit.de"},
            {"text": "maintext", "title": "title", "published": "date_publish", "url": "url", "source": "domain"},
        ),
        (  # schema.org NewsArticle
            {"articleBody": STREIK, "headline": "Streik", "datePublished": "2020-04-24", "url": "https://zeit.de/a",
             "publisher": {"name": "x"}, "site": "zeit.de"},
            {"text": "articleBody", "title": "headline", "published": "datePublished", "url": "url", "source": "site"},
        ),
        (  # an RSS export
            {"guid": "g-1", "link": "https://zeit.de/a", "pubDate": "Fri, 24 Apr 2020 20:17:56 +0200",
             "title": "Streik", "content": STREIK, "outlet": "zeit.de"},
            {"text": "content", "title": "title", "published": "pubDate", "url": "link", "source": "outlet",
             "id": "guid"},
        ),
    ],
    ids=["fang-covid", "news-please", "schema.org", "rss"],
)  # fmt: skip
def test_news_field_names_are_read_as_they_are(tmp_path: Path, record: dict[str, object], names: dict) -> None:
    result = load(tmp_path, jsonl(tmp_path / "archiv.jsonl", [record]))
    assert result.refusals == []
    article = result.articles[0]
    assert (article.text, article.title, article.published) == (STREIK, "Streik", "2020-04-24")
    assert (article.url, article.source) == ("https://zeit.de/a", "zeit.de")
    assert article.id == ("g-1" if "guid" in record else "https://zeit.de/a")
    assert result.fields == {"archiv.jsonl": names}


def test_the_mapping_is_reported_once_per_file_and_a_null_field_falls_through(tmp_path: Path) -> None:
    records = [{"id": n, "title": None, "header": f"Titel {n}", "body": STREIK} for n in range(500)]
    records.append({"id": "anders", "title": "Eigener Titel", "text": WASSER})
    result = load(
        tmp_path, jsonl(tmp_path / "a.jsonl", records), jsonl(tmp_path / "b.jsonl", [{**records[0], "id": "b"}])
    )
    assert len(result.articles) == 502 and result.refusals == []
    assert result.articles[0].title == "Titel 0" and result.articles[500].title == "Eigener Titel"
    assert result.fields == {
        "a.jsonl": {"text": "body|text", "title": "header|title", "id": "id"},
        "b.jsonl": {"text": "body", "title": "header", "id": "id"},
    }
    streamed = list(iter_paths([tmp_path / "a.jsonl"], id_base=tmp_path))
    assert [n for n, entry in enumerate(streamed) if isinstance(entry, FileFields)] == [501]  # once, at the end


def test_a_record_without_text_names_what_was_looked_for(tmp_path: Path) -> None:
    result = load(tmp_path, jsonl(tmp_path / "a.jsonl", [{"Artikel": STREIK, "Titel": "Streik"}]))
    reason = reasons(result)["a.jsonl#1"]
    assert "'article'" in reason and "'maintext'" in reason and "--field text=NAME" in reason


# --------------------------------------------------------------------------- explicit mapping


def test_an_explicit_mapping_reads_any_field_names(tmp_path: Path) -> None:
    path = jsonl(tmp_path / "a.jsonl", [{"Artikel": STREIK, "Datum": "24.04.2020", "Titel": "Streik", "id": "s"}])
    result = load(tmp_path, path, fields={"text": "Artikel", "published": "Datum", "title": "Titel"})
    article = result.articles[0]
    assert (article.id, article.text, article.published, article.title) == ("s", STREIK, "2020-04-24", "Streik")
    assert result.fields["a.jsonl"] == {"text": "Artikel", "title": "Titel", "published": "Datum", "id": "id"}
    missing = load(tmp_path, path, fields={"text": "Volltext"})
    assert reasons(missing)["a.jsonl#1"] == "record has no field 'Volltext' (named for the text)"


def test_a_wrong_mapping_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="unknown article field 'body'"):
        load(tmp_path, tmp_path, fields={"body": "Artikel"})
    with pytest.raises(InvalidInputError, match="no record field for 'text'"):
        load(tmp_path, tmp_path, fields={"text": " "})


def test_the_assistant_indexes_with_a_mapping(tmp_path: Path, embeddings: OnnxEmbeddings) -> None:
    path = jsonl(tmp_path / "a.jsonl", [{"Artikel": STREIK, "Datum": "2024-01-10", "Zeitung": "dpa", "Nr": "7"}])
    assistant = Assistant(Settings(index_dir=tmp_path / "index"), embeddings=embeddings)
    try:
        report = assistant.index(
            path, fields={"text": "Artikel", "published": "Datum", "source": "Zeitung", "id": "Nr"}
        )
        assert report.added == ["7"] and report.refused == []
        assert report.to_dict()["fields"] == {
            "a.jsonl": {"text": "Artikel", "published": "Datum", "source": "Zeitung", "id": "Nr"}
        }
        stored = assistant.article("7")
        assert (stored.text, stored.published, stored.source) == (STREIK, "2024-01-10", "dpa")
        with pytest.raises(InvalidInputError):
            assistant.index(path, fields={"txt": "Artikel"})
    finally:
        assistant.close()


# --------------------------------------------------------------------------- CSV and TSV


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_with_a_header_in_any_delimiter(tmp_path: Path, delimiter: str) -> None:
    rows = [
        ["Headline", "Body", "Date", "Link", "Outlet"],
        ["Streik", f'"{STREIK}\nZweiter Absatz, mit ""Zitat""."', "2024-01-10", "https://x.de/1", "dpa"],
        ["Pegel", WASSER, "20.08.2024", "https://x.de/2", "Reuters"],
    ]
    suffix = ".tsv" if delimiter == "\t" else ".csv"
    path = tmp_path / f"archiv{suffix}"
    path.write_text("\r\n".join(delimiter.join(row) for row in rows) + "\r\n", encoding="utf-8")
    result = load(tmp_path, path)
    assert result.refusals == []
    first, second = result.articles
    assert first.text == f'{STREIK}\nZweiter Absatz, mit "Zitat".' and first.title == "Streik"
    assert (first.id, first.published, first.source) == ("https://x.de/1", "2024-01-10", "dpa")
    assert (second.text, second.published, second.path) == (WASSER, "2024-08-20", path.name)
    names = {"text": "Body", "title": "Headline", "published": "Date", "url": "Link", "source": "Outlet"}
    assert result.fields == {path.name: names}


def test_csv_rows_are_placed_by_their_line_and_bad_rows_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(f'id,text\n1,"{STREIK}\nmehr"\n\n2,\n3,{WASSER}\n', encoding="utf-8")
    result = load(tmp_path, path)
    assert [a.id for a in result.articles] == ["1", "3"]
    assert reasons(result) == {"a.csv#5": "field 'text' is empty"}


def test_csv_with_a_mapping_and_without_a_usable_header(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(f"Nummer;Artikel;Datum\n7;{STREIK};10.01.2024\n", encoding="utf-8")
    refused = reasons(load(tmp_path, path))["a.csv"]
    assert "no header row naming the text column" in refused and "'Artikel'" in refused
    result = load(tmp_path, path, fields={"text": "Artikel", "published": "Datum", "id": "Nummer"})
    assert [(a.id, a.text, a.published) for a in result.articles] == [("7", STREIK, "2024-01-10")]


def test_10kgnad_label_text_rows_without_a_header(tmp_path: Path) -> None:
    path = tmp_path / "gnad.csv"
    rows = ["Wirtschaft;'Die Gewerkschaft; sagt: \"All-in\" ist zu viel.'", f"Sport;{STREIK}", "Web;", f"Etat;{WASSER}"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = load(tmp_path, path)
    assert [a.text for a in result.articles] == ['Die Gewerkschaft; sagt: "All-in" ist zu viel.', STREIK, WASSER]
    assert [a.id for a in result.articles] == ["gnad.csv#1", "gnad.csv#2", "gnad.csv#4"]
    assert "gnad.csv#3" in reasons(result) and result.fields == {"gnad.csv": {"text": GNAD_TEXT}}


@pytest.mark.skipif(not GNAD.is_file(), reason="../shared/data/10kgnad is absent")
def test_the_10kgnad_test_set_loads_whole() -> None:
    result = load_paths([GNAD], id_base=GNAD.parent)
    assert len(result.articles) == 1028 and result.refusals == []
    assert result.articles[0].id == "test.csv#1" and result.articles[0].text.startswith("Die Gewerkschaft GPA-djp")


# --------------------------------------------------------------------------- size limits per record


def test_a_record_file_above_the_file_limit_is_read_record_by_record(tmp_path: Path) -> None:
    records = [{"id": n, "text": f"{STREIK} Nummer {n}."} for n in range(200)]
    records.insert(100, {"id": "riesig", "text": "x" * 5000})
    path = jsonl(tmp_path / "archiv.jsonl", records)
    assert path.stat().st_size > 20_000
    result = load(tmp_path, path, max_bytes=2000)
    assert len(result.articles) == 200
    assert reasons(result) == {
        "archiv.jsonl#101": "line 101: record is 5.0 KB, above the 2.0 KB limit per record (ASSISTANT_MAX_FILE_BYTES)"
    }
    single = tmp_path / "gross.json"  # a .json file is one document: the file limit stays
    single.write_text(json.dumps(records), encoding="utf-8")
    assert "above the 2.0 KB" in reasons(load(tmp_path, single, max_bytes=2000))["gross.json"]
    text = tmp_path / "gross.txt"
    text.write_text(STREIK * 50, encoding="utf-8")
    assert "file is" in reasons(load(tmp_path, text, max_bytes=2000))["gross.txt"]


def test_a_record_file_is_indexed_a_group_at_a_time(tmp_path: Path, embeddings: OnnxEmbeddings) -> None:
    """The run never holds the whole file: the first group is indexed before the last records are read."""
    records = [{"id": f"r{n}", "text": f"{STREIK} Meldung {n}."} for n in range(40)]
    path = jsonl(tmp_path / "archiv.jsonl", records)
    shown: list[tuple[int, int]] = []
    assistant = Assistant(Settings(index_dir=tmp_path / "index", index_batch_chars=1000), embeddings=embeddings)
    try:
        report = assistant.index(path, progress=lambda done, total, what: shown.append((done, total)))
    finally:
        assistant.close()
    assert len(report.added) == 40 and shown[-1] == (40, 40)
    assert shown[0][1] < 40  # records read when the first group was written: not the whole file


def test_a_csv_line_above_the_limit_stops_that_file_only(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(f"text\n{STREIK}\n{'y' * 3000}\n{WASSER}\n", encoding="utf-8")
    result = load(tmp_path, path, jsonl(tmp_path / "b.jsonl", [{"text": WASSER}]), max_bytes=2000)
    assert [a.text for a in result.articles] == [STREIK, WASSER]
    reason = reasons(result)["a.csv#3"]
    assert "above the 2.0 KB limit per record" in reason and "the rest of the file is not read" in reason


def test_a_utf16_record_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    text = json.dumps({"text": STREIK}, ensure_ascii=False) + "\n" + json.dumps({"article": WASSER}) + "\n"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert [a.text for a in load(tmp_path, path).articles] == [STREIK, WASSER]
    csv_path = tmp_path / "b.csv"
    csv_path.write_bytes(f"title,content\nStreik,{STREIK}\n".encode("utf-16-be"))
    assert [(a.title, a.text) for a in load(tmp_path, csv_path).articles] == [("Streik", STREIK)]


def test_empty_and_blank_record_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "leer.csv").write_bytes(b"")
    (tmp_path / "blank.jsonl").write_text("\n  \n", encoding="utf-8")
    result = load(tmp_path, tmp_path / "leer.csv", tmp_path / "blank.jsonl")
    assert reasons(result) == {"leer.csv": "file is empty", "blank.jsonl": "file contains only whitespace"}


# --------------------------------------------------------------------------- the CLI, FANG-COVID as it is


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.slow
def test_the_cli_reads_a_csv_with_fields_named_and_reports_them_once(tmp_path: Path) -> None:
    path = tmp_path / "archiv.csv"
    path.write_text(f"Nr;Artikel;Datum\n1;{STREIK};10.01.2024\n2;{WASSER};20.08.2024\n", encoding="utf-8")
    more = tmp_path / "more"
    more.mkdir()
    for name, text in (("a.json", "Der Pegel fiel am Montag."), ("b.json", "Die Bahn streikt.")):
        (more / name).write_text(json.dumps({"id": name, "content": text}), encoding="utf-8")
    index = str(tmp_path / "index")
    out = run_cli("index", str(path), "--index-dir", index, "--field", "text=Artikel", "--field", "published=Datum",
                  "--field", "id=Nr", cwd=tmp_path).stdout  # fmt: skip
    assert "2 added" in out and out.count("fields of") == 1
    assert "  fields of archiv.csv: text=Artikel, published=Datum, id=Nr" in out
    out = run_cli("index", str(more), "--index-dir", index, cwd=tmp_path).stdout
    assert "2 added" in out and out.count("fields of") == 1  # one line for the files read alike
    assert "  fields of 2 files (more/a.json, more/b.json): text=content, id=id" in out
    wrong = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "index", str(path), "--index-dir", index, "--field", "text"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert wrong.returncode == 1 and "--field takes FIELD=NAME" in wrong.stderr


FANG_LINES = (1029, 1584, 529, 1613, 1630)  # four short articles, and line 1630 repeats line 1613


@pytest.mark.slow
@pytest.mark.skipif(not FANG.is_file(), reason="../shared/data/fang-covid is absent")
def test_the_cli_indexes_fang_covid_as_it_is(tmp_path: Path) -> None:
    """A subset of the real archive, lines kept byte for byte (the whole file: bench/bench_record_files.py)."""
    lines = FANG.read_bytes().split(b"\n")
    subset = tmp_path / "articles.jsonl"
    subset.write_bytes(b"\n".join(lines[n - 1] for n in FANG_LINES) + b"\n")
    index = tmp_path / "index"
    report = json.loads(run_cli("index", str(subset), "--index-dir", str(index), "--json", cwd=tmp_path).stdout)
    assert report["added"] == 4
    assert report["fields"] == {
        "articles.jsonl": {"text": "article", "title": "header", "published": "date", "url": "url", "source": "source"}
    }
    [repeat] = report["refused"]
    assert repeat["path"] == "articles.jsonl#5" and "already loaded from articles.jsonl#4" in repeat["reason"]
    originals = {json.loads(lines[n - 1])["url"]: json.loads(lines[n - 1]) for n in FANG_LINES}
    assistant = Assistant(Settings(index_dir=index))
    try:
        for url, record in originals.items():
            stored = assistant.article(url)
            assert stored.title == " ".join(record["header"].split())
            assert stored.published == record["date"][:10] and stored.source == record["source"]
            assert stored.text == record["article"]
        moria = "https://de.rt.com/live/106509-live-nach-brand-im-camp/"
        assert (
            assistant.article(moria).title
            == "LIVE: Nach Brand im Camp Moria: Demonstranten in Berlin fordern Aufnahme von Geflüchteten"
        )
    finally:
        assistant.close()
