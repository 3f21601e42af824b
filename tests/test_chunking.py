"""Sentence, paragraph and chunk spans: German rules, English, offsets, coverage and sizes."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from assistant.chunking import Span, chunk_text, split_paragraphs, split_sentences
from assistant.errors import InvalidInputError

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def sentences(text: str) -> list[str]:
    return [span.of(text) for span in split_sentences(text)]


def assert_covers(text: str, spans: list[Span], start: int = 0, end: int | None = None) -> None:
    """Spans are trimmed, in order, disjoint, and hold every non-whitespace character of the range."""
    end = len(text) if end is None else end
    position = start
    for span in spans:
        assert start <= span.start < span.end <= end, span
        assert span.of(text) == text[span.start : span.end]
        assert not text[span.start].isspace() and not text[span.end - 1].isspace(), span
        assert text[position : span.start].strip() == "", f"gap with text before {span}"
        position = span.end
    assert text[position:end].strip() == ""


# --------------------------------------------------------------------------- German sentences

GERMAN_CASES = [
    ("Das ist z. B. ein Test. Und z.B. Berlin liegt im Osten.", 2),
    ("Es kamen u. a. Vertreter, d. h. Beamte. Dann ging es los.", 2),
    ("Äpfel bzw. Birnen kosten ca. 3 Euro. Vgl. dazu Seite 5.", 2),
    ("Dr. Müller und Prof. Schmidt kamen. Nr. 5 gewann.", 2),
    ("Sie wohnt in St. Gallen. Er nicht.", 2),
    ("Er kaufte Äpfel, Birnen etc. ein. Danach ging er.", 2),
    ("Es kostet 3 Mio. Euro und 2 Mrd. Dollar. Das ist viel.", 2),
    ("Im 12. Jh. entstand die Burg. Sie steht noch.", 2),
    ("Äpfel, Birnen usw. waren da. Dann kam er.", 2),
    ("Wladimir W. Putin sprach. Er schwieg dann.", 2),
    ("Der Krieg begann am 1. Februar 2022. Er dauert an.", 2),
    ("Der 2. Weltkrieg endete 1945. Danach kam der Kalte Krieg.", 2),
    ("Die Ukraine kontrolliert über 1.000 Quadratkilometer. Das sagt Kiew.", 2),
    ("Die Wirtschaft wuchs um 3,5 Prozent. Das ist mehr als 2023.", 2),
    ("Das Treffen beginnt um 14.30 Uhr. Alle kommen.", 2),
    ("Der Wert lag bei 2.5 Punkten. Er stieg.", 2),
    ("Mehr unter https://www.example.com/a.html. Dann Schluss.", 2),
    ("Mail an info@example.de. Antwort folgt.", 2),
    ("Siehe Art. 5 GG. Das Grundgesetz gilt.", 2),
    ("Die Preise stiegen seit Februar 2022. 2023 sanken sie.", 2),
    ("Wer war das? Niemand weiß es! Vielleicht… Oder doch nicht.", 4),
]


@pytest.mark.parametrize(("text", "count"), GERMAN_CASES, ids=[c[0][:30] for c in GERMAN_CASES])
def test_german_abbreviations_numbers_and_ends(text: str, count: int) -> None:
    found = sentences(text)
    assert len(found) == count, found
    assert_covers(text, split_sentences(text))


def test_german_exact_splits() -> None:
    text = "Dr. Müller sagte am 1. Februar 2022, z. B. Kiew sei wichtig. Prof. Schmidt widersprach."
    assert sentences(text) == [
        "Dr. Müller sagte am 1. Februar 2022, z. B. Kiew sei wichtig.",
        "Prof. Schmidt widersprach.",
    ]


def test_abbreviation_followed_by_lowercase_never_splits() -> None:
    assert sentences("Obst usw. gab es. Gemüse etc. auch.") == ["Obst usw. gab es.", "Gemüse etc. auch."]


def test_closing_quote_belongs_to_the_sentence_it_ends() -> None:
    assert sentences("„Wir kommen.“ Dann ging er.") == ["„Wir kommen.“", "Dann ging er."]
    assert sentences("»Nein!« Sie lachte.") == ["»Nein!«", "Sie lachte."]
    assert sentences('"Yes." Then silence.') == ['"Yes."', "Then silence."]


@pytest.mark.parametrize(
    "quoted",
    [
        "„Wir kommen. Wir bleiben.“",
        "“Wir kommen. Wir bleiben.”",
        "»Wir kommen. Wir bleiben.«",
        "«Wir kommen. Wir bleiben.»",
        '"Wir kommen. Wir bleiben."',
    ],
)
def test_no_split_inside_quotes(quoted: str) -> None:
    text = f"Er sagte: {quoted} Danach war es still."
    assert sentences(text) == [f"Er sagte: {quoted}", "Danach war es still."]


def test_nested_quotes() -> None:
    text = "Er sagte: „Sie rief »Halt.« Dann ging sie.“ Ende. Noch ein Satz."
    assert sentences(text) == ["Er sagte: „Sie rief »Halt.« Dann ging sie.“", "Ende.", "Noch ein Satz."]


def test_quote_left_open_does_not_swallow_the_paragraph() -> None:
    text = "Er sagte: „Wir kommen. Wir bleiben. Das ist sicher."
    assert len(sentences(text)) == 3


def test_quotes_in_the_middle_of_a_sentence() -> None:
    text = "Die Zeitung nennt es die “bedeutendste Deeskalation” seit 2022. Kiew schweigt."
    assert sentences(text) == [
        "Die Zeitung nennt es die “bedeutendste Deeskalation” seit 2022.",
        "Kiew schweigt.",
    ]


def test_omission_mark_in_brackets_does_not_split() -> None:
    assert len(sentences("Er sagte, man werde (…) Kiew unterstützen. Dann ging er.")) == 2


def test_a_line_break_ends_a_sentence_unless_the_sentence_is_wrapped_and_headlines_stand_alone() -> None:
    text = "Schlagzeile ohne Punkt\nErster Satz geht\nüber zwei Zeilen. Zweiter Satz.\n\n\nLetzte Zeile"
    assert sentences(text) == [
        "Schlagzeile ohne Punkt",
        "Erster Satz geht\nüber zwei Zeilen.",
        "Zweiter Satz.",
        "Letzte Zeile",
    ]


@pytest.mark.parametrize(
    "wrapped",
    [
        # FANG-COVID gold sentences, as their outlets broke the lines
        "Die Landesregierung in\nNordrhein-Westfalen hat nach dem Kreis Gütersloh auch für den\ngesamten Kreis "
        "Warendorf einen Lockdown verfügt.",
        "Die Stadt Verl \n(Landkreis Gütersloh), in der besonders viele Werkvertragsarbeiter des Konzerns leben, "
        "hatte am Samstag in einem Stadtteil eine Quarantänezone \neingerichtet.",
        "Die Corona-Warn-App des Bundes wird am kommenden Montag um zwei\n Funktionen erweitert.",
        "Angela Merkel (CDU) hat eine deutsch-französische Initiative zur Aufnahme\nunbegleiteter minderjähriger "
        "Flüchtlinge angekündigt.",
        "Die Wirtschaft wird im schlimmsten Fall um mehr als 14 Prozent schrumpfen. Große\nIndustrieunternehmen "
        "wie Airbus kündigen Stellenabbau an.",
    ],
)
def test_a_hard_wrapped_sentence_is_one_sentence_and_one_paragraph(wrapped: str) -> None:
    text = f"Vorher.\n{wrapped}\nNachher."
    wrapped_sentence = sentences(text)[-2]
    assert "\n" in wrapped_sentence and wrapped.endswith(wrapped_sentence) and sentences(text)[-1] == "Nachher."
    assert [p.of(text) for p in split_paragraphs(text)] == ["Vorher.", wrapped, "Nachher."]


@pytest.mark.parametrize(
    "lines",
    [
        ["Corona-Krise in Gütersloh", "Die Landesregierung verhängt einen Lockdown."],  # a headline
        ["Kitas und Schulen", "In den Schulen soll langsam wieder Unterricht stattfinden."],
        ["Die Maßnahmen:", "- Schulen bleiben zu", "- Läden öffnen"],  # a list
        ["Ein Satz endet hier.", "ein kleingeschriebener Anfang nach einem Punkt"],
        ["Eine Zeile ohne Punkt", "", "nach einer Leerzeile"],
    ],
)
def test_headlines_list_items_and_paragraphs_are_not_joined(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert [p.of(text) for p in split_paragraphs(text)] == [line for line in lines if line]


def test_sentence_starting_with_digit_or_quote() -> None:
    assert len(sentences("Es kamen viele. 500 Menschen waren da. „Gut so“, sagte er.")) == 3


# --------------------------------------------------------------------------- English sentences


def test_english_sentences() -> None:
    text = (
        "Mr. Smith went to Washington. He met Dr. Jones at 3 p.m. on Monday. "
        "Was it useful? Yes! The U.S. economy grew 2.5 percent, e.g. in services. It ended."
    )
    assert sentences(text) == [
        "Mr. Smith went to Washington.",
        "He met Dr. Jones at 3 p.m. on Monday.",
        "Was it useful?",
        "Yes!",
        "The U.S. economy grew 2.5 percent, e.g. in services.",
        "It ended.",
    ]


def test_english_quotes_and_initials() -> None:
    text = "“We will stay.” J. R. R. Tolkien wrote books. They sold well."
    assert sentences(text) == ["“We will stay.”", "J. R. R. Tolkien wrote books.", "They sold well."]


# --------------------------------------------------------------------------- offsets and ranges


def test_split_sentences_range_gives_offsets_into_the_full_text() -> None:
    text = "Vorher. Erster Satz. Zweiter Satz. Nachher."
    start = text.index("Erster")
    end = text.index(" Nachher")
    spans = split_sentences(text, start, end)
    assert [s.of(text) for s in spans] == ["Erster Satz.", "Zweiter Satz."]
    assert spans[0].start == start
    assert_covers(text, spans, start, end)


def test_empty_and_blank_texts() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\t ") == []
    assert split_paragraphs("\n\n") == []
    assert chunk_text("   ") == []


def test_split_paragraphs_one_or_more_newlines() -> None:
    text = "  Erster Absatz.  \nZweiter.\n\n \n\tDritter Absatz\r\nVierter\n"
    spans = split_paragraphs(text)
    assert [s.of(text) for s in spans] == ["Erster Absatz.", "Zweiter.", "Dritter Absatz", "Vierter"]
    assert_covers(text, spans)


# --------------------------------------------------------------------------- coverage property

WORDS = (
    "Die", "Ukraine", "sagte", "z. B.", "Dr.", "am", "1.", "Februar", "2022.", "3,5", "Prozent", "„Wir",
    "kommen.“", "»Nein!«", "“Ja”", '"so"', "usw.", "etc.", "14.30", "Uhr", "www.example.com.", "W.", "Putin",
    "Wer?", "Ja!", "Also…", "(…)", "u. a.", "1.000", "Kiew.", "ok", "Nr.", "Ende.", "—", "\u2013", "'",
)  # fmt: skip
SEPARATORS = (" ", " ", " ", " ", "  ", "\n", "\n\n", " \n ", "\t", "\u00a0", "\r\n")


def random_text(rng: random.Random, words: int) -> str:
    parts = []
    for _ in range(words):
        parts.append(rng.choice(WORDS))
        parts.append(rng.choice(SEPARATORS))
    return rng.choice(["", " ", "\n"]) + "".join(parts)


@pytest.mark.parametrize("seed", range(40))
def test_coverage_property_on_random_texts(seed: int) -> None:
    rng = random.Random(seed)
    text = random_text(rng, rng.randint(0, 400))
    assert_covers(text, split_sentences(text))
    assert_covers(text, split_paragraphs(text))
    for target, limit in ((700, 1000), (60, 80), (5, 12)):
        chunks = chunk_text(text, target_chars=target, max_chars=limit)
        assert_covers(text, chunks)
        assert all(c.end - c.start <= limit for c in chunks)


def test_sentences_lie_within_paragraphs() -> None:
    text = "Titel\nErster Satz. Zweiter Satz.\n\nDritter Satz? Vierter!"
    paragraphs = split_paragraphs(text)
    for sentence in split_sentences(text):
        assert any(p.start <= sentence.start and sentence.end <= p.end for p in paragraphs)


# --------------------------------------------------------------------------- chunks


def sentence_text(n: int, words: int = 12) -> str:
    return f"Satz {n} " + " ".join(f"wort{n}x{i}" for i in range(words)) + "."


def test_short_paragraphs_merge_up_to_target() -> None:
    paragraphs = [f"Absatz {n} mit etwas Text darin." for n in range(10)]  # 30 chars each
    text = "\n".join(paragraphs)
    chunks = chunk_text(text, target_chars=100, max_chars=200)
    assert_covers(text, chunks)
    assert [c.of(text).count("Absatz") for c in chunks] == [3, 3, 3, 1]
    assert all(c.end - c.start <= 100 for c in chunks)


def test_paragraph_up_to_max_is_kept_whole() -> None:
    paragraph = " ".join(sentence_text(n) for n in range(7))
    text = f"Kurz.\n{paragraph}\nAuch kurz."
    assert 700 < len(paragraph) <= 1000
    chunks = chunk_text(text)
    assert [c.of(text) for c in chunks] == ["Kurz.", paragraph, "Auch kurz."]


def test_long_paragraph_split_at_sentence_boundaries_near_target() -> None:
    paragraph = " ".join(sentence_text(n) for n in range(30))
    chunks = chunk_text(paragraph, target_chars=300, max_chars=450)
    assert_covers(paragraph, chunks)
    boundaries = {s.start for s in split_sentences(paragraph)} | {s.end for s in split_sentences(paragraph)}
    for chunk in chunks:
        assert chunk.start in boundaries and chunk.end in boundaries
        assert 150 <= chunk.end - chunk.start <= 450


def test_single_over_long_sentence_cut_at_whitespace() -> None:
    sentence = "Ein " + "sehr " * 500 + "langer Satz."
    text = f"Vorher. {sentence} Nachher."
    chunks = chunk_text(text, target_chars=700, max_chars=1000)
    assert_covers(text, chunks)
    assert all(c.end - c.start <= 1000 for c in chunks)
    for chunk in chunks:  # every cut is at whitespace: no word is split
        assert chunk.start == 0 or text[chunk.start - 1].isspace()
        assert chunk.end == len(text) or text[chunk.end].isspace()


def test_text_without_whitespace_is_cut_hard_at_max() -> None:
    text = "x" * 2500
    chunks = chunk_text(text, target_chars=700, max_chars=1000)
    assert [c.end - c.start for c in chunks] == [1000, 1000, 500]
    assert_covers(text, chunks)


def test_chunks_do_not_overlap_and_keep_order() -> None:
    text = "\n\n".join(" ".join(sentence_text(n * 10 + k) for k in range(n + 1)) for n in range(12))
    chunks = chunk_text(text, target_chars=250, max_chars=400)
    assert all(a.end <= b.start for a, b in itertools.pairwise(chunks))
    assert_covers(text, chunks)


def test_invalid_chunk_sizes_rejected() -> None:
    """A caller from Python gets the project's error (Settings refuse such sizes before they get here)."""
    with pytest.raises(InvalidInputError, match="target_chars=800 and max_chars=700"):
        chunk_text("Text.", target_chars=800, max_chars=700)
    with pytest.raises(InvalidInputError, match="target_chars=0"):
        chunk_text("Text.", target_chars=0, max_chars=10)


# --------------------------------------------------------------------------- the bundled seed


def seed_texts() -> list[str]:
    if not SEEDS.is_dir():
        return []
    return [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]


@pytest.mark.skipif(not seed_texts(), reason="no seed articles in shared/seeds")
def test_seed_article_sentences_and_chunks() -> None:
    for text in seed_texts():
        sentence_spans = split_sentences(text)
        chunks = chunk_text(text)
        assert_covers(text, sentence_spans)
        assert_covers(text, chunks)
        assert all(c.end - c.start <= 1000 for c in chunks)
        # chunks start and end on sentence boundaries
        starts = {s.start for s in sentence_spans}
        ends = {s.end for s in sentence_spans}
        assert all(c.start in starts and c.end in ends for c in chunks)
        print("sentences:", [s.end - s.start for s in sentence_spans])
        print("chunks:", [c.end - c.start for c in chunks])


@pytest.mark.skipif(not seed_texts(), reason="no seed articles in shared/seeds")
def test_seed_article_known_sentences() -> None:
    text = seed_texts()[0]
    if "Financial Times (FT)" not in text:
        pytest.skip("the seed article changed")
    found = sentences(text)
    assert any(s.startswith("Sollte es zu einer Einigung kommen") and s.endswith("darstellen.") for s in found)
    assert any("über 1.000 Quadratkilometer kontrolliert wird." in s for s in found)
    assert any(s.startswith("Eine “stille Übereinkunft”") for s in found)
