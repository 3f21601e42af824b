"""Reading article files: every format, every encoding, every bad input, and stable ids."""

from __future__ import annotations

import codecs
import json
import os
import zipfile
from pathlib import Path

import pytest

from assistant.articles import Article, LoadResult
from assistant.dates import parse_published
from assistant.decoding import decode_bytes
from assistant.ingest.files import article_id_for, human_size
from assistant.ingest.loading import DEFAULT_MAX_BYTES, load_paths

GERMAN = "Grüße aus Köln – „Zitat“ … die Straße ist groß; 5 € für Öl."


def write(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode(encoding)
    path.write_bytes(content)
    return path


def load(tmp_path: Path, *paths: Path, **kwargs: int) -> LoadResult:
    return load_paths(list(paths), id_base=tmp_path, **kwargs)


def only_article(result: LoadResult) -> Article:
    assert result.refusals == []
    assert len(result.articles) == 1
    return result.articles[0]


def only_refusal(result: LoadResult) -> str:
    assert result.articles == []
    assert len(result.refusals) == 1
    return result.refusals[0].reason


# --------------------------------------------------------------------------- .txt


def test_txt_title_is_first_non_empty_line_and_text_is_whole_file(tmp_path: Path) -> None:
    path = write(tmp_path / "news" / "a.txt", "\n  Schlagzeile  \n\nErster Absatz.\nZweiter Absatz.\n")
    article = only_article(load(tmp_path, path))
    assert article.id == "news/a.txt"
    assert article.path == "news/a.txt"
    assert article.title == "Schlagzeile"
    assert article.text == "\n  Schlagzeile  \n\nErster Absatz.\nZweiter Absatz.\n"
    assert (article.source, article.url, article.published) == ("", "", None)


def test_txt_newlines_normalized_and_bom_removed(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", codecs.BOM_UTF8 + b"Titel\r\n\r\nText eins.\rText zwei.")
    article = only_article(load(tmp_path, path))
    assert article.text == "Titel\n\nText eins.\nText zwei."
    assert article.title == "Titel"


def test_txt_long_first_line_title_truncated_to_200(tmp_path: Path) -> None:
    line = "Wort " * 100
    article = only_article(load(tmp_path, write(tmp_path / "a.txt", line + "\nmehr")))
    assert len(article.title) <= 200
    assert line.startswith(article.title)
    assert article.text == line + "\nmehr"


def test_txt_with_front_matter(tmp_path: Path) -> None:
    content = (
        "---\ntitle: Gespräche über Energie\nsource: Financial Times\nurl: https://example.com/a\n"
        "published: 2024-08-20\n---\n\n\nDie Financial Times (FT) hat berichtet.\n"
    )
    article = only_article(load(tmp_path, write(tmp_path / "seed.txt", content)))
    assert article.title == "Gespräche über Energie"
    assert article.source == "Financial Times"
    assert article.url == "https://example.com/a"
    assert article.published == "2024-08-20"
    assert article.text == "Die Financial Times (FT) hat berichtet.\n"
    assert article.id == "seed.txt"


def test_front_matter_id_overrides_path_id_and_values_stay_strings(tmp_path: Path) -> None:
    content = "---\nid: 0012\ntitle: No\n---\nText.\n"
    article = only_article(load(tmp_path, write(tmp_path / "a.md", content)))
    assert article.id == "0012"  # not YAML 1.1 octal 10
    assert article.title == "No"  # not the boolean False
    assert article.path == "a.md"


# --------------------------------------------------------------------------- .md


def test_md_title_from_front_matter_else_heading_else_first_line(tmp_path: Path) -> None:
    with_heading = write(tmp_path / "h.md", "Vorspann ohne Raute\n\n# Die Überschrift #\n\nText.")
    plain = write(tmp_path / "p.md", "## Unterzeile\n\nText.")
    front = write(tmp_path / "f.md", "---\ntitle: Aus dem Kopf\n---\n# Überschrift\nText.")
    result = load(tmp_path, with_heading, plain, front)
    assert result.refusals == []
    titles = {a.id: a.title for a in result.articles}
    assert titles == {"h.md": "Die Überschrift", "p.md": "Unterzeile", "f.md": "Aus dem Kopf"}


def test_md_body_after_front_matter_is_stored_unchanged(tmp_path: Path) -> None:
    body = "# Titel\n\nEin *betonter*   Satz.\n\n- Punkt\n"
    article = only_article(load(tmp_path, write(tmp_path / "a.md", "---\nsource: dpa\n---\n\n" + body)))
    assert article.text == body
    assert article.source == "dpa"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-05", "2024-03-05"),
        ("2024-03-05T23:30:00-05:00", "2024-03-05"),
        ("'2024-03-05'", "2024-03-05"),
        ("05.03.2024", "2024-03-05"),
        ("5. März 2024", "2024-03-05"),
        ("March 5, 2024", "2024-03-05"),
        ("Tue, 05 Mar 2024 10:00:00 +0100", "2024-03-05"),
        ("irgendwann", None),
        ("2024-02-30", None),
    ],
)
def test_md_published_is_iso_date(tmp_path: Path, value: str, expected: str | None) -> None:
    path = write(tmp_path / "a.md", f"---\npublished: {value}\n---\nText.")
    assert only_article(load(tmp_path, path)).published == expected


def test_parse_published_accepts_date_objects() -> None:
    import datetime as dt

    assert parse_published(dt.date(2024, 3, 5)) == "2024-03-05"
    assert parse_published(dt.datetime(2024, 3, 5, 23, 59)) == "2024-03-05"
    assert parse_published(2024) is None
    assert parse_published(None) is None


def test_md_malformed_yaml_is_refused_with_reason(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.md", "---\ntitle: [unclosed\nsource: x\n---\nText.")
    result = load(tmp_path, path)
    reason = only_refusal(result)
    assert result.refusals[0].path == "bad.md"
    assert reason.startswith("malformed YAML front matter")
    assert "line" in reason


def test_front_matter_yaml_refuses_a_control_character_in_one_line() -> None:
    """The reader's error (no position mark, unlike the parser's) is still said in one line."""
    from assistant.ingest.formats.plain import split_front_matter

    with pytest.raises(ValueError) as refused:
        split_front_matter("---\ntitle: a\x07b\n---\nText.")
    assert str(refused.value) == (
        "malformed YAML front matter: unacceptable character #x0007: special characters are not allowed"
    )


def test_dashes_that_are_not_a_mapping_are_not_front_matter(tmp_path: Path) -> None:
    content = "---\nnur ein Satz\n---\nText."
    article = only_article(load(tmp_path, write(tmp_path / "a.txt", content)))
    assert article.text == content


def test_front_matter_without_body_is_refused(tmp_path: Path) -> None:
    reason = only_refusal(load(tmp_path, write(tmp_path / "a.md", "---\ntitle: Leer\n---\n\n  \n")))
    assert "no text after the front matter" in reason


# --------------------------------------------------------------------------- .html

PAGE = """<!DOCTYPE html>
<html><head>
<meta charset="utf-8">
<title>Gespräche über Energie | Beispielzeitung</title>
<meta property="og:site_name" content="Beispielzeitung">
<meta property="article:published_time" content="2024-08-20T10:00:00+02:00">
<link rel="canonical" href="https://example.com/energie">
<style>p { color: red; }</style>
<script>var tracking = "nicht im Text";</script>
</head><body>
<header><nav><a href="/">Startseite</a> <a href="/politik">Politik</a></nav></header>
<aside>Werbung: Jetzt abonnieren!</aside>
<article>
  <h1>Gespräche   über Energie</h1>
  <p>Russland und die <b>Ukraine</b>
     sprechen &uuml;ber Angriffe.</p>
  <p>Die Gespräche sind in einem <a href="#">frühen</a> Stadium.</p>
  <ul><li>Punkt eins</li><li>Punkt zwei</li></ul>
  <blockquote>„Wir kommen“, sagte er.</blockquote>
  <form><input value="Suche"> Suchen</form>
</article>
<footer>Impressum &middot; Datenschutz</footer>
</body></html>
"""


def test_html_main_text_as_paragraphs_without_navigation(tmp_path: Path) -> None:
    article = only_article(load(tmp_path, write(tmp_path / "page.html", PAGE)))
    assert article.text == (
        "Gespräche über Energie\n\n"
        "Russland und die Ukraine sprechen über Angriffe.\n\n"
        "Die Gespräche sind in einem frühen Stadium.\n\n"
        "Punkt eins\n\nPunkt zwei\n\n"
        "„Wir kommen“, sagte er."
    )
    for noise in ("Startseite", "Werbung", "tracking", "color", "Impressum", "Suchen"):
        assert noise not in article.text
    assert article.title == "Gespräche über Energie | Beispielzeitung"
    assert article.source == "Beispielzeitung"
    assert article.url == "https://example.com/energie"
    assert article.published == "2024-08-20"
    assert article.id == "page.html"


def test_html_metadata_fallbacks_og_and_time(tmp_path: Path) -> None:
    page = (
        '<html><head><meta property="og:title" content="OG Titel">'
        '<meta property="og:url" content="https://example.com/og"></head>'
        '<body><main><time datetime="2023-11-02">2. Nov.</time><p>Haupttext hier.</p></main>'
        "<div>Außerhalb von main.</div></body></html>"
    )
    article = only_article(load(tmp_path, write(tmp_path / "a.htm", page)))
    assert article.title == "OG Titel"
    assert article.url == "https://example.com/og"
    assert article.published == "2023-11-02"
    assert article.text == "2. Nov.\n\nHaupttext hier."


def test_html_title_from_first_h1_and_body_fallback(tmp_path: Path) -> None:
    page = "<html><body><h1>Nur eine H1</h1><div>Erster<br>Zweiter</div>lose <i>Worte</i></body></html>"
    article = only_article(load(tmp_path, write(tmp_path / "a.html", page)))
    assert article.title == "Nur eine H1"
    assert article.text == "Nur eine H1\n\nErster\n\nZweiter\n\nlose Worte"


def test_html_prefers_the_longest_article_element(tmp_path: Path) -> None:
    page = (
        "<body><article><p>Kurzer Teaser.</p></article>"
        "<article><p>Der eigentliche, deutlich längere Artikeltext steht hier.</p></article></body>"
    )
    article = only_article(load(tmp_path, write(tmp_path / "a.html", page)))
    assert article.text == "Der eigentliche, deutlich längere Artikeltext steht hier."


@pytest.mark.parametrize("declared", ["windows-1252", "iso-8859-1"])
def test_html_decoded_with_declared_charset(tmp_path: Path, declared: str) -> None:
    page = f'<html><head><meta charset="{declared}"></head><body><p>{GERMAN}</p></body></html>'
    article = only_article(load(tmp_path, write(tmp_path / "a.html", page, encoding="cp1252")))
    assert article.text == GERMAN


def test_html_http_equiv_charset_and_wrong_declaration(tmp_path: Path) -> None:
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">'
    latin = write(tmp_path / "a.html", f"<head>{meta}</head><p>Grüße</p>", encoding="cp1252")
    lying = write(tmp_path / "b.html", f'<meta charset="utf-8"><p>{GERMAN}</p>', encoding="cp1252")
    result = load(tmp_path, latin, lying)
    assert result.refusals == []
    assert [a.text for a in result.articles] == ["Grüße", GERMAN]


def test_html_declared_non_text_codec_is_ignored(tmp_path: Path) -> None:
    page = '<meta charset="base64"><p>Grüße</p>'
    article = only_article(load(tmp_path, write(tmp_path / "a.html", page)))
    assert article.text == "Grüße"


def test_html_without_text_is_refused(tmp_path: Path) -> None:
    page = "<html><body><nav>Menü</nav><script>x()</script><footer>Impressum</footer></body></html>"
    assert "no readable text" in only_refusal(load(tmp_path, write(tmp_path / "a.html", page)))


# --------------------------------------------------------------------------- .json and .jsonl


def test_json_single_object_uses_path_id(tmp_path: Path) -> None:
    record = {"title": "T", "content": "Text\r\nzwei", "date": "2024-01-02", "source": "dpa"}
    article = only_article(load(tmp_path, write(tmp_path / "one.json", json.dumps(record))))
    assert (article.id, article.path, article.text) == ("one.json", "one.json", "Text\nzwei")
    assert (article.title, article.published, article.source) == ("T", "2024-01-02", "dpa")


def test_json_list_ids_from_id_then_url_then_position(tmp_path: Path) -> None:
    records = [
        {"id": 17, "text": "Mit Zahl-Id."},
        {"url": "https://example.com/b", "body": "Mit URL."},
        {"text": "Ohne beides.", "published": "2024-05-06"},
        {"id": "x", "title": "Kein Text"},
        {"text": "   "},
        "kein Objekt",
        {"id": "x", "text": "Gleiche Id wie Satz 4, der aber abgelehnt wurde."},
    ]
    result = load(tmp_path, write(tmp_path / "d" / "many.json", json.dumps(records)))
    assert [a.id for a in result.articles] == ["17", "https://example.com/b", "d/many.json#3", "x"]
    assert all(a.path == "d/many.json" for a in result.articles)
    assert result.articles[1].url == "https://example.com/b"
    assert result.articles[2].published == "2024-05-06"
    refused = {r.path: r.reason for r in result.refusals}
    assert set(refused) == {"d/many.json#4", "d/many.json#5", "d/many.json#6"}
    assert "no text" in refused["d/many.json#4"]
    assert "empty" in refused["d/many.json#5"]
    assert "not an object" in refused["d/many.json#6"]


def test_json_invalid_or_wrong_shape_is_refused(tmp_path: Path) -> None:
    broken = write(tmp_path / "broken.json", '{"text": "a",}')
    scalar = write(tmp_path / "scalar.json", "42")
    empty_list = write(tmp_path / "empty.json", "[]")
    result = load(tmp_path, broken, scalar, empty_list)
    reasons = {r.path: r.reason for r in result.refusals}
    assert result.articles == []
    assert reasons["broken.json"].startswith("invalid JSON") and "line 1" in reasons["broken.json"]
    assert "object or a list" in reasons["scalar.json"]
    assert "no records" in reasons["empty.json"]


def test_json_text_field_must_be_a_string(tmp_path: Path) -> None:
    result = load(tmp_path, write(tmp_path / "a.json", json.dumps([{"text": ["a", "b"]}])))
    assert [(r.path, "not a string" in r.reason) for r in result.refusals] == [("a.json#1", True)]


def test_jsonl_bad_line_refused_by_number_others_load(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a", "text": "Eins."}),
        "{kaputt",
        "",
        json.dumps({"text": "Vier, ohne Id."}),
        json.dumps({"title": "ohne Text"}),
    ]
    result = load(tmp_path, write(tmp_path / "feed.jsonl", "\n".join(lines) + "\n"))
    assert [a.id for a in result.articles] == ["a", "feed.jsonl#4"]
    assert [r.path for r in result.refusals] == ["feed.jsonl#2", "feed.jsonl#5"]
    assert result.refusals[0].reason.startswith("line 2: invalid JSON")


def test_duplicate_record_ids_second_refused(tmp_path: Path) -> None:
    first = write(tmp_path / "a.jsonl", json.dumps({"id": "same", "text": "Erster."}))
    second = write(tmp_path / "b.md", "---\nid: same\n---\nZweiter.")
    result = load(tmp_path, first, second)
    assert [a.text for a in result.articles] == ["Erster."]
    assert [r.path for r in result.refusals] == ["b.md"]
    assert "duplicate id 'same'" in result.refusals[0].reason
    assert "a.jsonl#1" in result.refusals[0].reason


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    "raw",
    [
        GERMAN.encode("utf-8"),
        codecs.BOM_UTF8 + GERMAN.encode("utf-8"),
        codecs.BOM_UTF16_LE + GERMAN.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + GERMAN.encode("utf-16-be"),
        codecs.BOM_UTF32_LE + GERMAN.encode("utf-32-le"),
        GERMAN.encode("cp1252"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le", "utf-16-be", "utf-32-le", "cp1252"],
)
def test_decode_bytes_german(raw: bytes) -> None:
    assert decode_bytes(raw) == GERMAN


def test_decode_bytes_latin1_and_short_cp1252_words() -> None:
    assert decode_bytes("Müller, Größe, Übermaß".encode("latin-1")) == "Müller, Größe, Übermaß"
    assert decode_bytes("Grüße".encode("cp1252")) == "Grüße"  # charset-normalizer alone misreads this
    assert decode_bytes("„Zitat“ – Ende".encode("cp1252")) == "„Zitat“ – Ende"


def test_decode_bytes_latin1_with_a_byte_cp1252_leaves_undefined() -> None:
    text = "„Grüße“ aus Köln und Düsseldorf. " * 3
    assert decode_bytes(text.encode("cp1252") + b"\x81") == text  # read as Latin-1's C1 control, then removed


def test_decode_bytes_cyrillic_legacy_encoding() -> None:
    text = "Россия и Украина ведут переговоры о прекращении ударов по энергетике."
    assert decode_bytes(text.encode("cp1251")) == text


def test_decode_bytes_normalizes_newlines() -> None:
    assert decode_bytes(b"a\r\nb\rc\n") == "a\nb\nc\n"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "NUL"),
        (bytes(range(1, 9)) * 20 + b"abc", "control characters"),
        (bytes([0x81, 0x8D, 0x8F, 0x90, 0x9D]) * 8, "undecodable"),
        (codecs.BOM_UTF8 + b"\xff\xfe ok", "undecodable"),
    ],
    ids=["png", "controls", "undecodable", "bad-utf8-after-bom"],
)
def test_decode_bytes_rejects_binary_and_undecodable(raw: bytes, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        decode_bytes(raw)


def test_cp1252_file_loads_correctly(tmp_path: Path) -> None:
    content = f"Titel mit Ä\n\n{GERMAN}\n"
    article = only_article(load(tmp_path, write(tmp_path / "a.txt", content, encoding="cp1252")))
    assert article.text == content
    assert article.title == "Titel mit Ä"


# --------------------------------------------------------------------------- bad files


def test_empty_and_whitespace_files_refused(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.txt", b"")
    blank = write(tmp_path / "blank.md", " \n\t\r\n  ")
    bom_only = write(tmp_path / "bom.txt", codecs.BOM_UTF8)
    result = load(tmp_path, empty, blank, bom_only)
    reasons = {r.path: r.reason for r in result.refusals}
    assert result.articles == []
    assert reasons == {
        "empty.txt": "file is empty",
        "blank.md": "file contains only whitespace",
        "bom.txt": "file contains only whitespace",
    }


def test_binary_files_renamed_to_text_are_refused(tmp_path: Path) -> None:
    png = write(tmp_path / "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 10)
    archive = tmp_path / "archive.txt"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("inner.txt", "Hallo " * 100)
    result = load(tmp_path, png, archive)
    assert result.articles == []
    assert [r.path for r in result.refusals] == ["image.txt", "archive.txt"]
    assert all(r.reason.startswith("binary data") for r in result.refusals)


def test_too_big_file_refused_without_reading_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(25_300_000)  # sparse: costs no disk space

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("a too-big file must not be read")

    monkeypatch.setattr(os, "read", no_reading)
    reason = only_refusal(load(tmp_path, big))
    assert reason == "file is 25.3 MB, above the 5.0 MB limit (ASSISTANT_MAX_FILE_BYTES)"


def test_max_bytes_is_respected_and_exact_sizes_shown_when_rounding_hides_them(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "x" * 1001)
    reason = only_refusal(load(tmp_path, path, max_bytes=1000))
    assert reason == ("file is 1.0 KB (1,001 bytes), above the 1.0 KB (1,000 bytes) limit (ASSISTANT_MAX_FILE_BYTES)")
    assert only_article(load(tmp_path, path, max_bytes=1001)).text == "x" * 1001


def test_human_size() -> None:
    assert human_size(DEFAULT_MAX_BYTES) == "5.0 MB"
    assert human_size(512) == "512 bytes"
    assert human_size(1_500) == "1.5 KB"
    assert human_size(3_200_000_000) == "3.2 GB"


def test_one_bad_file_does_not_stop_the_batch(tmp_path: Path) -> None:
    write(tmp_path / "in" / "1.txt", "Gut eins.")
    write(tmp_path / "in" / "2.txt", b"\x00\x01\x02")
    write(tmp_path / "in" / "3.md", "---\na: [\n---\nx")
    write(tmp_path / "in" / "4.txt", "Gut vier.")
    result = load(tmp_path, tmp_path / "in")
    assert [a.id for a in result.articles] == ["in/1.txt", "in/4.txt"]
    assert [r.path for r in result.refusals] == ["in/2.txt", "in/3.md"]


# --------------------------------------------------------------------------- paths and ids


def test_missing_path_and_unsupported_explicit_file_are_refused(tmp_path: Path) -> None:
    pdf = write(tmp_path / "doc.pdf", b"%PDF-1.4")
    noext = write(tmp_path / "README", "Text")
    result = load(tmp_path, tmp_path / "nope.txt", pdf, noext)
    assert result.articles == []
    reasons = {r.path: r.reason for r in result.refusals}
    assert reasons["nope.txt"] == "no such file or folder"
    assert reasons["doc.pdf"].startswith("unsupported file type '.pdf'")
    assert reasons["README"].startswith("unsupported file type '(no suffix)'")


def test_folder_walk_sorted_recursive_skipping_hidden_and_other_suffixes(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    for name in ("b.txt", "a.md", "sub/c.json", "sub/deeper/d.HTML", "z.jsonl"):
        content = '{"text": "x"}' if name.endswith(("json", "jsonl")) else "<p>Text</p>"
        write(root / name, content)
    write(root / ".hidden.txt", "versteckt")
    write(root / ".git" / "e.txt", "versteckt")
    write(root / "sub" / ".cache" / "f.txt", "versteckt")
    write(root / "notes.docx", b"PK\x03\x04")
    write(root / "image.png", b"\x89PNG")
    result = load(tmp_path, root)
    assert result.refusals == []
    assert [a.path for a in result.articles] == [
        "corpus/a.md",
        "corpus/b.txt",
        "corpus/sub/c.json",
        "corpus/sub/deeper/d.HTML",
        "corpus/z.jsonl",
    ]


def test_same_file_twice_is_loaded_once(tmp_path: Path) -> None:
    path = write(tmp_path / "news" / "a.txt", "Text.")
    result = load(tmp_path, path, tmp_path / "news", tmp_path / "news" / ".." / "news" / "a.txt")
    assert [a.id for a in result.articles] == ["news/a.txt"]
    assert result.refusals == []


def test_same_name_in_two_folders_gives_two_ids(tmp_path: Path) -> None:
    write(tmp_path / "a" / "a.txt", "Erster Text.")
    write(tmp_path / "b" / "a.txt", "Zweiter Text.")
    result = load(tmp_path, tmp_path / "a", tmp_path / "b")
    assert result.refusals == []
    assert [a.id for a in result.articles] == ["a/a.txt", "b/a.txt"]


def test_ids_stable_across_cwd_and_argument_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "data" / "x" / "one.txt", "Eins.")
    write(tmp_path / "data" / "y" / "two.md", "Zwei.")
    monkeypatch.chdir(tmp_path / "data")
    forward = load_paths([Path("x/one.txt"), Path("y")], id_base=tmp_path)
    monkeypatch.chdir(tmp_path / "data" / "y")
    backward = load_paths([Path("."), Path("../x/one.txt")], id_base=tmp_path)
    ids = {a.text: a.id for a in forward.articles}
    assert ids == {a.text: a.id for a in backward.articles}
    assert ids == {"Eins.": "data/x/one.txt", "Zwei.": "data/y/two.md"}


def test_relative_id_base_is_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "base" / "a.txt", "Text.")
    monkeypatch.chdir(tmp_path)
    assert only_article(load_paths([path], id_base=Path("base"))).id == "a.txt"


def test_article_id_outside_base_is_absolute_posix(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside" / "a.txt", "Text.")
    base = tmp_path / "base"
    base.mkdir()
    assert article_id_for(outside, base) == outside.resolve().as_posix()
    assert article_id_for(outside, tmp_path) == "outside/a.txt"
    assert only_article(load_paths([outside], id_base=base)).id == outside.resolve().as_posix()


def test_every_supported_suffix_has_a_reader_and_every_reader_a_supported_suffix() -> None:
    """The folder walk (`files.SUPPORTED_SUFFIXES`) and the readers (`formats.READERS`) name the same files."""
    from assistant.ingest.files import SUPPORTED_SUFFIXES
    from assistant.ingest.formats import READERS

    assert set(READERS) == set(SUPPORTED_SUFFIXES)
