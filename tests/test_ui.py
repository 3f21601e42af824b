"""The chat's server side: the `/ask` and `/upload` endpoints through `gradio_client` against a real server,
and the message rendering and error handling behind the page."""

from __future__ import annotations

import html
import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from assistant import Answer, Article, Assistant, Passage, Quote, Settings
from assistant.answering.conversation import ChatTurn
from assistant.errors import InvalidInputError, ModelLoadError
from assistant.indexing.indexer import IndexReport
from assistant.serve.chat_app import (
    CSS,
    FETCHES,
    QUESTIONS,
    WRITES,
    ChatApp,
    build_app,
    safe_file_name,
    search_filter_from,
    word_pieces,
)
from assistant.serve.chat_html import Mark, highlight_all, human_time, message_html, outcome_of, text_html
from tests.helpers import MEDIATE, REPO, Served, Talk, answers_of, serve_process
from tests.samples import BUS

MEDIATE_EN = "Who was supposed to mediate the talks?"

pytestmark = [  # gradio's queue trips pandas 3 deprecations; not ours to fix
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting'"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

ENGLISH = """---
title: Low water halts Rhine barges
source: Reuters
published: 2024-08-20
---
Barges on the Rhine near Kaub carried only a third of their usual load this week because the water level fell to
78 centimetres. Shipping companies added surcharges for every tonne of cargo.
"""


@pytest.fixture(scope="module")
def served_articles() -> dict[str, str]:
    return {"rhine.md": ENGLISH}


@pytest.fixture(scope="module")
def client(served: Served) -> Client:
    return Client(served.url, verbose=False)


def assert_offsets_verify(assistant: Assistant, result: dict[str, Any]) -> None:
    for item in result["quotes"] + result["passages"]:
        assert assistant.article(item["article_id"]).text[item["start"] : item["end"]] == item["text"]


# --------------------------------------------------------------------------- through gradio_client


@pytest.mark.slow
def test_ask_endpoint_returns_the_ask_json_structure_with_verifiable_quotes(served: Served, client: Client) -> None:
    result = client.predict(MEDIATE, api_name="/ask")
    assert set(result) - {"short_answer"} == {"question", "answer", "abstained", "quotes", "passages"}
    assert result["question"] == MEDIATE
    assert not result["abstained"] and result["quotes"]
    assert_offsets_verify(served.assistant, result)
    assert result == served.assistant.ask(MEDIATE).to_dict()


@pytest.mark.slow
def test_ask_endpoint_takes_k_and_filters(served: Served, client: Client) -> None:
    result = client.predict("Why did barges on the Rhine carry less?", 2, ["Reuters"], api_name="/ask")
    assert len(result["passages"]) <= 2
    assert {p["article_id"] for p in result["passages"]} == {"articles/rhine.md"}
    dated = client.predict("Rhine barges", api_name="/ask", published_from="2024-08-01", published_to="2024-08-31")
    assert dated["passages"] and all(p["article_id"] == "articles/rhine.md" for p in dated["passages"])


@pytest.mark.slow
def test_ask_endpoint_errors_are_clear_messages(client: Client) -> None:
    with pytest.raises(AppError, match="empty"):
        client.predict("   ", api_name="/ask")
    with pytest.raises(AppError, match="JJJJ-MM-TT"):
        client.predict(MEDIATE, api_name="/ask", published_from="März 2024")


@pytest.mark.slow
def test_upload_then_ask_quotes_the_new_article(served: Served, client: Client, tmp_path: Path) -> None:
    upload = tmp_path / "wasserstoffbus.txt"
    upload.write_text(BUS, encoding="utf-8")
    before = served.assistant.status().articles

    report, status, _sources, _files = client.predict([handle_file(str(upload))], api_name="/upload")
    assert re.search(r"wasserstoffbus\.txt.*added", report, re.DOTALL), report
    assert served.assistant.status().articles == before + 1
    assert f"<b>{before + 1}</b>" in status
    assert (served.root / "index" / "uploads" / "wasserstoffbus.txt").read_text(encoding="utf-8") == BUS

    result = client.predict("Wie heißt der Wasserstoffbus der Stadtwerke Musterstadt?", api_name="/ask")
    assert result["quotes"] and result["quotes"][0]["article_id"] == "index/uploads/wasserstoffbus.txt"
    assert_offsets_verify(served.assistant, result)

    again, *_ = client.predict([handle_file(str(upload))], api_name="/upload")
    assert "unchanged" in again
    upload.write_text(BUS.replace("Linie 7", "Linie 9"), encoding="utf-8")
    changed, *_ = client.predict([handle_file(str(upload))], api_name="/upload")
    assert "updated" in changed
    assert served.assistant.status().articles == before + 1  # same file name: the same article


@pytest.mark.slow
def test_upload_reports_each_file_and_refusals_with_their_reason(
    served: Served, client: Client, tmp_path: Path
) -> None:
    good = tmp_path / "notiz.md"
    good.write_text("# Notiz\n\nDer Stadtrat beschließt ein neues Radwegenetz für die Innenstadt.\n", encoding="utf-8")
    empty = tmp_path / "leer.txt"
    empty.write_text("", encoding="utf-8")
    report, *_ = client.predict([handle_file(str(good)), handle_file(str(empty))], api_name="/upload")
    rows = re.findall(r"data-status='(\w+)'><div class='na-file'>([^<]+)</div>(.*?)</div>", report)
    assert [(status, name) for status, name, _ in rows] == [("added", "notiz.md"), ("refused", "leer.txt")]
    assert "empty" in rows[1][2]


@pytest.mark.slow
def test_status_endpoint(served: Served, client: Client) -> None:
    status = client.predict(api_name="/status")
    assert status["articles"] == served.assistant.status().articles >= 2
    assert status["chunks"] >= status["articles"]
    assert status["embedding_model"] and status["last_changed"]


@pytest.mark.slow
def test_assistant_serve_says_where_the_chat_runs(tmp_path: Path) -> None:
    with serve_process(tmp_path) as server:
        assert f"Chat läuft auf http://127.0.0.1:{server.port} " in server.said
        page = urllib.request.urlopen(f"{server.url}/", timeout=30).read().decode()
        assert "Nachrichten-Assistent" in page


# --------------------------------------------------------------------------- the chat handler


@pytest.mark.slow
def test_respond_streams_then_shows_sources(served: Served) -> None:
    chat = ChatApp(served.assistant, uploads_dir=None, pieces=word_pieces)
    messages = answers_of(chat, MEDIATE)
    assert "na-pending" in messages[0]
    streamed = [m for m in messages if "na-streaming" in m]
    assert len(streamed) >= 3 and len(set(streamed)) == len(streamed)
    assert "na-sources" in messages[-1] and "na-streaming" not in messages[-1]
    marked = re.findall(
        r"<code class='na-id'>([^<]+)</code>.*?<mark title='Zitat: Zeichen (\d+)–(\d+) des Artikels'>(.*?)</mark>",
        messages[-1],
    )
    assert marked
    for article_id, start, end, text in marked:
        shown = re.sub(r"<strong class='na-answer'>(.*?)</strong>", r"\1", text)  # the short answer, marked inside
        assert served.assistant.article(article_id).text[int(start) : int(end)] == html.unescape(shown)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "detected", "quoted", "says"),
    [
        (MEDIATE_EN, "Question detected as English, answering in English", "Quotes in the original (German)", "Katar"),
        (
            "Wie viel Ladung trugen die Schiffe auf dem Rhein?",
            "Frage auf Deutsch erkannt, Antwort auf Deutsch",
            "Zitate im Original (Englisch)",
            "only a third of their usual load",
        ),
    ],
    ids=["english-on-german", "german-on-english"],
)
def test_chat_names_the_language_it_detected_and_quotes_the_other_language_verbatim(
    served: Served, question: str, detected: str, quoted: str, says: str
) -> None:
    chat = ChatApp(served.assistant, uploads_dir=None, pieces=word_pieces)
    final = html.unescape(answers_of(chat, question)[-1])
    assert detected in final and quoted in final
    assert "na-abstained" not in final and "na-sources" in final
    marked = re.findall(r"<mark title='[^']*'>(.*?)</mark>", final, re.DOTALL)
    assert any(says in re.sub(r"</?strong[^>]*>", "", text) for text in marked)  # the short answer marked inside


@pytest.mark.slow
def test_ask_endpoint_answers_across_languages(served: Served, client: Client) -> None:
    english = client.predict(MEDIATE_EN, api_name="/ask")
    assert not english["abstained"] and "Katar" in english["quotes"][0]["text"]
    german = client.predict("Wie viel Ladung trugen die Schiffe auf dem Rhein?", api_name="/ask")
    assert not german["abstained"] and "only a third of their usual load" in german["quotes"][0]["text"]
    assert_offsets_verify(served.assistant, english)
    assert_offsets_verify(served.assistant, german)


FIRST_QUESTION = "Worüber verhandeln Russland und die Ukraine?"


def after_first_question(served: Served) -> tuple[ChatApp, Talk]:
    """A chat that has answered FIRST_QUESTION, and the page's state after it."""
    chat = ChatApp(served.assistant, uploads_dir=None, pieces=word_pieces)
    talk = Talk([], [])
    answers_of(chat, FIRST_QUESTION, talk)
    return chat, talk


@pytest.mark.slow
def test_follow_up_is_searched_with_the_conversation(served: Served) -> None:
    chat, talk = after_first_question(served)
    final = answers_of(chat, "Und wer sollte vermitteln?", talk)[-1]
    searched = "Gesucht wurde: „Worüber verhandeln Russland und die Ukraine? Und wer sollte vermitteln?“"
    assert searched in html.unescape(final)
    standalone = answers_of(chat, MEDIATE, talk)[-1]
    assert "Gesucht wurde" not in standalone


@pytest.mark.slow
def test_the_conversation_is_kept_as_plain_text_not_read_back_from_the_page(served: Served) -> None:
    chat, talk = after_first_question(served)
    (asked, answered) = talk.conversation
    assert asked == {"role": "user", "content": FIRST_QUESTION}
    assert answered["role"] == "assistant" and answered["content"] == served.assistant.ask(FIRST_QUESTION).answer
    assert "<" not in answered["content"]  # the answer's text, not the message's HTML
    talk.shown = []  # the page's messages are only shown: the follow-up leans on the kept conversation
    final = answers_of(chat, "Und wer sollte vermitteln?", talk)[-1]
    assert f"Gesucht wurde: „{FIRST_QUESTION} Und wer sollte vermitteln?“" in html.unescape(final)
    assert [m["role"] for m in talk.conversation] == ["user", "assistant"] * 2


class Broken:
    """An assistant whose pipeline fails in the given way."""

    def __init__(self, error: Exception, articles: int = 1) -> None:
        self.error = error
        self.count = articles
        self.index_dir = Path("unused")
        self.settings = Settings(index_dir=self.index_dir)  # the chat reads its input limits here

    def ask(self, *args: Any, **kwargs: Any) -> Answer:
        raise self.error

    def chat(self, *args: Any, **kwargs: Any) -> ChatTurn:
        raise self.error

    def status(self) -> Any:
        return type("Status", (), {"articles": self.count, "chunks": 0, "embedding_model": None, "last_changed": None})


def final_message(assistant: Any, question: str = MEDIATE, **options: Any) -> str:
    chat = ChatApp(assistant, uploads_dir=None, pieces=word_pieces)
    return answers_of(chat, question, **options)[-1]


def test_a_failure_inside_the_pipeline_is_one_line_in_the_chat(caplog: pytest.LogCaptureFixture) -> None:
    message = final_message(Broken(RuntimeError("the vector store\nexploded")))
    assert "Im Assistenten ist etwas schiefgegangen: the vector store exploded" in message
    assert "Traceback" not in message and "RuntimeError" not in message
    assert "Traceback" in caplog.text  # ... but the server log has it


def test_library_errors_show_their_message() -> None:
    message = final_message(Broken(ModelLoadError("the model file is missing")), "What happened in Kursk?")
    assert "That did not work: the model file is missing" in message


def test_a_question_before_anything_is_indexed(tmp_path: Path) -> None:
    assistant = Assistant(Settings(index_dir=tmp_path / "index"))  # no model is loaded for this
    message = final_message(assistant)
    assert "Es sind noch keine Artikel indexiert" in message
    english = final_message(assistant, "Who should mediate the talks?")
    assert "No articles are indexed yet" in english


def test_an_empty_question_gets_a_friendly_message() -> None:
    chat = ChatApp(Broken(RuntimeError("never called")), uploads_dir=None, pieces=word_pieces)
    box, history, pending = chat.take_question("   ", [])
    assert (box, history, pending) == ("", [], "")
    frames = list(chat.respond(pending, history, []))
    assert len(frames) == 1 and "Bitte geben Sie eine Frage ein" in frames[0][0][-1]["content"]
    assert frames[0][1] == []  # nothing was asked: the conversation stays as it was


def test_a_failed_question_still_counts_for_the_follow_ups() -> None:
    talk = Talk([], [])
    answers_of(ChatApp(Broken(RuntimeError("the store is gone"))), MEDIATE, talk)
    assert talk.conversation == [{"role": "user", "content": MEDIATE}, {"role": "assistant", "content": ""}]


def test_bad_dates_are_explained_in_the_chat() -> None:
    message = final_message(Broken(RuntimeError("never called")), dates=("2024-13-01", ""))
    assert "„2024-13-01“ ist kein Datum" in html.unescape(message)
    assert "ist kein Datum" in message and "JJJJ-MM-TT" in message
    message = final_message(Broken(RuntimeError("never called")), dates=("2024-05-01", "2024-04-01"))
    assert "Der Zeitraum ist leer" in message


# --------------------------------------------------------------------------- rendering

XSS = 'Vorher. <script>window.__pwned = 1</script> <img src=x onerror="window.__pwned=2"> Der Bus heißt Falke. Ende.'


def xss_answer() -> tuple[Answer, Article]:
    article = Article(id="x<1>.txt", text=XSS, title="<b>Titel</b>", source="Q&A", published="2024-03-05")
    start = XSS.index("Der Bus")
    end = XSS.index(" Ende")
    quote = Quote(XSS[start:end], article.id, start, end, 0.9, article.title, article.source, article.published)
    passage = Passage(article.id, article.title, XSS, 0, len(XSS), 0.9, article.source, article.published)
    return Answer("Wie heißt der Bus?", f"{quote.text} [1] [7]", False, [quote], [passage]), article


def test_article_text_is_escaped_everywhere() -> None:
    answer, article = xss_answer()
    page = message_html(answer, article_for=lambda _id: article)
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    assert "&lt;b&gt;Titel&lt;/b&gt;" in page and "Q&amp;A" in page and "x&lt;1&gt;.txt" in page


def test_the_quote_is_marked_by_its_offsets_in_passage_and_whole_article() -> None:
    answer, article = xss_answer()
    page = message_html(answer, article_for=lambda _id: article)
    where = f"Zitat: Zeichen {XSS.index('Der')}–{XSS.index(' Ende')} des Artikels"
    assert page.count(f"<mark title='{where}'>Der Bus heißt Falke.</mark>") == 2  # passage and whole article
    assert "<details class='na-article'>" in page and "05.03.2024" in page
    assert "<span class='na-cite'>1</span>" in page
    assert "[7]" in page  # a marker without a source stays text


def test_quotes_of_one_passage_share_its_card_with_both_numbers_and_marks() -> None:
    """Two quotes from one retrieved passage showed it twice, once per card; a quote from another passage keeps
    a card of its own."""
    text = "Der Bus heißt Falke. Er fährt nach Kiel. Der Zug heißt Möwe.\n\nDie Fähre heißt Kranich."
    article = Article(id="bus.txt", text=text, title="Verkehr", source="Landbote")
    spans = [(0, 20), (41, 60), (62, len(text))]
    first, second = (
        Passage(article.id, "Verkehr", text[:60], 0, 60, 1.0),
        Passage(article.id, "Verkehr", text[62:], 62, len(text), 0.5),
    )
    quotes = [Quote(text[a:b], article.id, a, b, 0.9, "Verkehr", "Landbote") for a, b in spans]
    answer = Answer("Wie heißen Bus, Zug und Fähre?", "… [1] … [2] … [3]", False, quotes, [first, second])
    page = message_html(answer, article_for=lambda _id: article)
    cards = page.split("<div class='na-source'>")[1:]
    assert len(cards) == 2
    assert re.findall(r"<span class='na-num'>(\d)</span>", cards[0]) == ["1", "2"]
    assert re.findall(r"<span class='na-num'>(\d)</span>", cards[1]) == ["3"]
    passage = cards[0].split("<div class='na-passage'>")[1].split("</div>")[0]
    assert re.findall(r"<mark[^>]*>(.*?)</mark>", passage) == ["Der Bus heißt Falke.", "Der Zug heißt Möwe."]
    assert "Er fährt nach Kiel." in passage  # the passage between the marks, once
    whole = cards[0].split("<div class='na-article-text'>")[1]
    assert len(re.findall(r"<mark", whole)) == 2


def test_highlight_uses_offsets_not_search() -> None:
    text = "Falke. Der Falke fliegt."
    assert highlight_all(text, 0, len(text), [Mark(11, 16)]) == "Falke. Der <mark>Falke</mark> fliegt."
    assert highlight_all(text, 7, len(text), [Mark(11, 16)]).startswith("<span class='na-cut'>…</span>Der <mark>")


def test_paragraphs_are_shown_without_changing_the_text() -> None:
    text = 'Erster Satz, hart\numbrochen. Zweiter Satz.\nNeuer Absatz <b>x</b>\n\nNoch einer: "Zitat"\nEnde'
    shown = text_html(text, 0, len(text))
    assert html.unescape(re.sub(r"<span class='na-para'></span>", "", shown)) == text  # the DOM text is the article's
    assert shown.count("<span class='na-para'></span>") == 3  # after "Satz.", the blank line and the quote
    assert "hart\numbrochen" in shown and "&lt;b&gt;" in shown
    assert text_html(text, 8, 20) == html.escape(text[8:20])


def test_the_message_names_the_detected_language_and_the_quotes_original_language() -> None:
    answer, article = xss_answer()
    english = Answer("What is the bus called?", answer.answer, False, answer.quotes, answer.passages, "en")
    page = html.unescape(message_html(english, article_for=lambda _id: article))
    assert "Question detected as English, answering in English · Quotes in the original (German)" in page
    assert "Sources" in page and "Quelle" not in page.split("na-sources")[0]
    german = html.unescape(message_html(answer, article_for=lambda _id: article))
    assert "Frage auf Deutsch erkannt, Antwort auf Deutsch" in german and "Original" not in german


def test_abstentions_list_the_nearest_passages_without_marks() -> None:
    passage = Passage("a.txt", "Titel", "Ein Satz über <Dinge>.", 0, 22, 0.5, "Quelle")
    answer = Answer("Wetter?", "Dazu sagen die Artikel nichts.", True, [], [passage])
    page = message_html(answer)
    assert "Passagen, die der Frage am nächsten kommen" in page and "&lt;Dinge&gt;" in page
    assert "<mark>" not in page


def test_streaming_pieces_rebuild_the_answer() -> None:
    text = "Eins zwei  drei.\nVier [1]"
    assert "".join(word_pieces(text, delay=0)) == text
    assert len(list(word_pieces(" ".join(["Wort"] * 500), delay=0))) <= 40
    assert list(word_pieces("Token", delay=0)) == ["Token"]  # a model's token passes through as it came


def test_search_options() -> None:
    assert search_filter_from([], "", None) is None
    built = search_filter_from(["Reuters"], "2024-01-01", " 2024-12-31 ")
    assert (built.sources, built.published_from, built.published_to) == (("Reuters",), "2024-01-01", "2024-12-31")
    assert search_filter_from([], "1.3.2024", "31. 12. 2024").published_to == "2024-12-31"
    for bad in ("2024-02-30", "März 2024", "2024/03/01", "32.01.2024"):
        with pytest.raises(InvalidInputError, match="kein Datum"):
            search_filter_from([], bad, None)


def test_upload_names_and_outcomes() -> None:
    assert safe_file_name("../../etc/passwd") == "passwd"
    assert safe_file_name("C:\\Users\\x\\Bericht März.txt") == "Bericht März.txt"
    assert safe_file_name(".hidden.md") == "hidden.md"
    assert safe_file_name("<script>.html") == "_script_.html"
    assert outcome_of("a.txt", IndexReport(added=["id"]), ["Titel"]).detail == "„Titel“"
    several = outcome_of("b.jsonl", IndexReport(added=["1", "2"], unchanged=["3"]), ["T1", "T2"])
    assert (several.status, several.detail) == ("added", "2 added · 1 unchanged")


def test_human_time() -> None:
    assert human_time(1000.0, now=1030.0).startswith("gerade eben")
    assert human_time(1000.0, now=1000.0 + 600).startswith("vor 10 Min.")
    assert "vor" not in human_time(1000.0, now=1000.0 + 3 * 86400)


def test_questions_share_one_concurrency_limit_and_writes_another(tmp_path: Path) -> None:
    """Every way a question comes in (typed, an example, `/ask`) counts against one limit; before, each event
    had its own, so the page took three times the questions its limit said."""
    app = build_app(Assistant(Settings(index_dir=tmp_path / "index")), concurrency=3)
    groups: dict[str, set[tuple[str | None, int | None]]] = {}
    for fn in app.fns.values():
        groups.setdefault(fn.name, set()).add((fn.concurrency_id, fn.concurrency_limit))
    assert groups["respond"] == {(QUESTIONS, 3)} and groups["ask_api"] == {(QUESTIONS, 3)}
    assert groups["upload"] == {(WRITES, 1)}
    assert groups["add_urls"] == {(FETCHES, 1)}  # a fetch waiting on a slow server never holds up an upload
    assert sum(fn.name == "respond" for fn in app.fns.values()) == 2  # typed, and picked from the examples


def test_the_styles_ship_inside_the_package() -> None:
    assert "#na-layout" in CSS and ".na-cite" in CSS


def test_the_frame_of_the_page_speaks_from_the_phrase_table(tmp_path: Path) -> None:
    """Every label of the page comes from `assistant.phrases` (German, the chat's frame), the upload hint names every
    type the loader reads, and no frame label is written into the chat module itself."""
    from assistant.ingest.files import SUPPORTED_SUFFIXES
    from assistant.phrases import phrase

    config = json.dumps(
        build_app(Assistant(Settings(index_dir=tmp_path / "index"))).config, ensure_ascii=False, default=str
    )
    keys = ["question_box", "ask_button", "add_articles", "address_box", "fetch_button", "search_options"]
    keys += ["passages_per_question", "only_sources", "empty_is_all", "published_from", "published_to", "date_format"]
    for key in keys:
        assert phrase("de", key) in config, key
    assert all(suffix in config for suffix in SUPPORTED_SUFFIXES)
    source = (REPO / "assistant" / "serve" / "chat_app.py").read_text(encoding="utf-8")
    assert not [key for key in keys if f'"{phrase("de", key)}"' in source]
