"""The browser chat: a thin Gradio edge between a person and the `Assistant` (the library never imports it).

Everything shown in the page that comes from an article (text, title, source, id) or from the user is
escaped here: article text is data, never markup. Chat messages are HTML built by this module (the
Chatbot's Markdown rendering is off, its sanitizer stays on as a second line of defence).
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: nothing phones home

import html
import logging
import math
import re
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.events import Dependency

from assistant.answering.conversation import ChatTurn
from assistant.answers import Answer
from assistant.core import Assistant
from assistant.embeddings.alignment import warm_in_background
from assistant.errors import AssistantError, EmptyQuestionError, IndexNotFoundError, InvalidInputError
from assistant.ingest.files import SUPPORTED_SUFFIXES
from assistant.ingest.web import is_url
from assistant.language import guess_language
from assistant.phrases import FALLBACK, phrase, phrases_for
from assistant.protocols import Message
from assistant.serve.access import Auth, Caller, KeyCheck, SessionCheck, gate_middleware, off_the_event_loop
from assistant.serve.article_lookup import ArticleLookup
from assistant.serve.chat_conversations import ChatConversations
from assistant.serve.chat_html import (
    EMPTY_QUESTION,
    FileOutcome,
    header_html,
    message_html,
    notice_html,
    outcome_of,
    placeholder_html,
    report_html,
    status_html,
)
from assistant.serve.compare_view import comparison_frames
from assistant.serve.digest_asking import DigestAsk, digest_ask
from assistant.serve.digest_view import build_digest_box, digest_frames, digest_of, since_text
from assistant.serve.programs import ProgramRoutes, program_routes
from assistant.serve.saved_view import build_saved_view
from assistant.serve.story_view import build_story_view
from assistant.serve.uploads import UploadLimits, discard_temporary, place, screen, upload_hint
from assistant.serve.visits import Visits, user_of
from assistant.settings import Settings
from assistant.stories.compare import asks_for_comparison
from assistant.validation import check_k, search_filter_from

log = logging.getLogger(__name__)

Pieces = Callable[[str], Iterator[str]]
"""Splits a piece of answer text into the steps it appears in (the extractive answer arrives as one piece and is
shown word by word; a language model's tokens pass through as they come)."""
ChatMessage = dict[str, str]
"""A message of the Chatbot: role and the HTML this module built."""
QUESTIONS = "questions"
"""The concurrency group of every event that answers a question (the chat's two ways in, and `/ask`)."""
WRITES = "writes"
"""The concurrency group of uploads: writes to the same index, one at a time."""
FETCHES = "fetches"
"""The concurrency group of added addresses: apart from uploads, so a fetch waiting on a slow server never holds
up an upload (each fetches first and only then queues for the index's write lock, `Assistant.index`)."""

UPLOAD_TYPES = list(SUPPORTED_SUFFIXES)
UPLOAD_PROGRESS = gr.Progress()
"""Gradio injects a live progress bar for a parameter whose default is a `gr.Progress`."""
EXAMPLES = [
    "Worüber verhandeln Russland und die Ukraine?",
    "Wer sollte die Gespräche vermitteln?",
    "What did Zelensky say about the attacks on energy facilities?",
]


@dataclass(frozen=True)
class SearchOptions:
    """How many passages, which sources, which publication dates: what each question is asked with."""

    k: gr.Slider
    sources: gr.Dropdown
    date_from: gr.Textbox
    date_to: gr.Textbox


@dataclass(frozen=True)
class KeptPanel:
    """The user's kept conversations: the list, and what can be done with the one picked."""

    conversations: gr.Dropdown
    resume: gr.Button
    new: gr.Button
    export: gr.Button
    delete: gr.Button
    exported: gr.File


@dataclass(frozen=True)
class SidePanel:
    """The components left of the chat that the events read and write."""

    status: gr.HTML
    files: gr.File
    urls: gr.Textbox
    report: gr.HTML
    options: SearchOptions
    kept: KeptPanel


# --------------------------------------------------------------------------- the app


def build_app(
    assistant: Assistant,
    *,
    uploads_dir: Path | None = None,
    pieces: Pieces | None = None,
    concurrency: int = 4,
) -> gr.Blocks:
    """The chat page: conversation, upload with a per-file report, index status, retrieval options, `/ask` API.

    At most `concurrency` questions are answered at once (the chat's and the API's together; the rest wait in
    Gradio's queue); uploads and fetches are one at a time, apart from questions."""
    chat = ChatApp(assistant, uploads_dir=uploads_dir, pieces=pieces or word_pieces)
    with gr.Blocks(
        title="Nachrichten-Assistent",
        analytics_enabled=False,
        fill_height=True,
        delete_cache=(3600, 3600),  # uploads that never reached the handler leave Gradio's folder within hours
    ) as app:
        with gr.Tabs(elem_id="na-tabs"):
            with (
                gr.Tab(phrase("de", "chat_tab"), elem_id="na-chat-tab"),
                gr.Row(equal_height=False, elem_id="na-layout"),
            ):
                with gr.Column(scale=1, min_width=300, elem_id="na-side"):
                    side = _side_panel(assistant)
                with gr.Column(scale=3, min_width=420, elem_id="na-main"):
                    chatbot, question = _chat_panel(assistant.settings.max_question_chars)
            with gr.Tab(phrase("de", "stories_tab"), elem_id="na-stories-tab") as stories_tab:
                story_controls, stories = build_story_view(assistant)
                build_digest_box(assistant, chat.visits)
                saved_list, saved = build_saved_view(assistant)
        stories_tab.select(
            stories.refresh, story_controls.inputs(), story_controls.outputs(), api_visibility="private", queue=False
        )
        conversation = _wire_questions(chat, chatbot, question, side, concurrency)
        _wire_conversations(chat, chatbot, conversation, side)
        _wire_writes(chat, side)
        app.load(chat.refresh, None, [side.status, side.options.sources], api_visibility="private")
        app.load(chat.kept.choices, None, side.kept.conversations, api_visibility="private")
        app.load(saved.choices, None, saved_list, api_visibility="private")
        app.load(chat.visits.on_load, None, None, api_visibility="private")  # for "seit meinem letzten Besuch"
        gr.api(chat.ask_api, api_name="ask", concurrency_limit=concurrency, concurrency_id=QUESTIONS)
        gr.api(chat.status_api, api_name="status")
    return app


def _wire_questions(
    chat: ChatApp, chatbot: gr.Chatbot, question: gr.Textbox, side: SidePanel, concurrency: int
) -> gr.State:
    """A typed or picked question is shown at once, then answered in the questions' concurrency group; the
    plain conversation travels in a `gr.State` beside the shown HTML (returned), and the list of kept
    conversations follows each answer."""
    pending = gr.State("")
    conversation = gr.State([])  # the plain-text conversation (`Message`s) the follow-ups are read from
    options = [side.options.k, side.options.sources, side.options.date_from, side.options.date_to]
    shown, answered = [question, chatbot, pending], [chatbot, conversation]
    answer_inputs = [pending, chatbot, conversation, *options]

    def then_answer(taken: Dependency) -> None:
        taken.then(
            chat.respond,
            answer_inputs,
            answered,
            concurrency_limit=concurrency,
            concurrency_id=QUESTIONS,
            api_visibility="private",  # the page's own plumbing; clients use /ask
        ).then(chat.kept.choices, None, side.kept.conversations, queue=False, api_visibility="private")

    then_answer(question.submit(chat.take_question, [question, chatbot], shown, queue=False, api_visibility="private"))
    picked = chatbot.example_select(_example_text, None, question, queue=False, api_visibility="private")
    then_answer(picked.then(chat.take_question, [question, chatbot], shown, queue=False, api_visibility="private"))
    return conversation


def _wire_conversations(chat: ChatApp, chatbot: gr.Chatbot, conversation: gr.State, side: SidePanel) -> None:
    """The kept conversations: resume, start anew, delete, export (the page's plumbing, not an API)."""
    panel = side.kept
    kept = panel.conversations
    panel.resume.click(chat.kept.resume, kept, [chatbot, conversation, kept], api_visibility="private")
    panel.new.click(chat.kept.start_new, None, [chatbot, conversation, kept], api_visibility="private")
    panel.delete.click(chat.kept.delete, kept, kept, api_visibility="private")
    panel.export.click(chat.kept.export, kept, panel.exported, api_visibility="private")


def _wire_writes(chat: ChatApp, side: SidePanel) -> None:
    """Uploads and fetched addresses, each one at a time in a queue of its own (a fetch waits on the network, not
    on uploads; both then queue for the index's write lock), with a progress bar where they came in."""
    files, urls = side.files, side.urls
    for event, source, handler, name, group in (
        (files.upload, files, chat.upload, "upload", WRITES),
        (urls.submit, urls, chat.add_urls, "add_urls", FETCHES),
    ):
        event(
            handler,
            source,
            [side.report, side.status, side.options.sources, source],
            api_name=name,
            show_progress_on=source,  # the bar sits where the files were dropped or the addresses typed
            concurrency_limit=1,  # writes queue anyway (one indexing run per index); the queue shows the place
            concurrency_id=group,
        )


def _chat_panel(max_chars: int) -> tuple[gr.Chatbot, gr.Textbox]:
    """The conversation and the question box. Messages are HTML built here: Markdown off, sanitizer on."""
    gr.HTML(header_html(), elem_id="na-header", js_on_load=None)
    chatbot = gr.Chatbot(
        elem_id="na-chat",
        label="Chat",
        show_label=False,
        height="68vh",
        layout="panel",
        render_markdown=False,  # article text must never become markup, not even Markdown
        sanitize_html=True,
        allow_tags=False,
        latex_delimiters=[],
        feedback_options=None,
        group_consecutive_messages=False,  # a notice after an answer is its own message
        buttons=["copy_all"],
        placeholder=placeholder_html(),
        examples=[{"text": text} for text in EXAMPLES],
    )
    question = gr.Textbox(
        elem_id="na-question",
        show_label=False,
        placeholder=_label("question_box"),
        submit_btn=_label("ask_button"),
        autofocus=True,
        max_length=max_chars,
    )
    return chatbot, question


def _side_panel(assistant: Assistant) -> SidePanel:
    """Status, upload and retrieval options, left of the chat."""
    gr.HTML(f"<h3 class='na-side-title'>{html.escape(_label('index_title'))}</h3>", js_on_load=None)
    status = gr.HTML(elem_id="na-status", js_on_load=None)
    types = _label("upload_types", types=" ".join(SUPPORTED_SUFFIXES))
    gr.HTML(
        f"<h3 class='na-side-title'>{html.escape(_label('add_articles'))}</h3>"
        f"<div class='na-hint'>{html.escape(types)}</div>",
        js_on_load=None,
    )
    files = gr.File(
        file_count="multiple",
        file_types=UPLOAD_TYPES,
        show_label=False,
        elem_id="na-upload",
        height=120,
    )
    urls = gr.Textbox(
        show_label=False,
        placeholder=_label("address_box"),
        lines=2,
        max_lines=6,
        submit_btn=_label("fetch_button"),
        elem_id="na-urls",
    )
    report = gr.HTML(elem_id="na-report", js_on_load=None)
    options = _search_options(assistant.settings.top_k)
    return SidePanel(status, files, urls, report, options, _kept_panel())


def _kept_panel() -> KeptPanel:
    """The user's kept conversations: pick one to resume, delete or export; or start a new one."""
    with gr.Accordion("Gespräche", open=False, elem_id="na-kept"):
        kept = gr.Dropdown(choices=[], value=None, label="Gespeicherte Gespräche", elem_id="na-kept-list")
        with gr.Row():
            resume = gr.Button("Fortsetzen", size="sm", elem_id="na-resume")
            new = gr.Button("Neu", size="sm", elem_id="na-new")
        with gr.Row():
            export = gr.Button("Exportieren", size="sm", elem_id="na-export")
            delete = gr.Button("Löschen", size="sm", variant="stop", elem_id="na-delete")
        exported = gr.File(label="Markdown", interactive=False, elem_id="na-exported", height=60)
    return KeptPanel(kept, resume, new, export, delete, exported)


def _search_options(top_k: int) -> SearchOptions:
    """How many passages, which sources, which publication dates (folded away: the defaults serve most)."""
    day = _label("date_format")
    with gr.Accordion(_label("search_options"), open=False, elem_id="na-options"):
        k = gr.Slider(1, 10, value=min(top_k, 10), step=1, label=_label("passages_per_question"))
        sources = gr.Dropdown(
            choices=[],
            value=[],
            multiselect=True,
            label=_label("only_sources"),
            info=_label("empty_is_all"),
            elem_id="na-sources",
        )
        with gr.Row():
            date_from = gr.Textbox(label=_label("published_from"), placeholder=day, elem_id="na-from")
            date_to = gr.Textbox(label=_label("published_to"), placeholder=day, elem_id="na-to")
    return SearchOptions(k, sources, date_from, date_to)


def _label(key: str, **values: object) -> str:
    """A label of the chat's frame, which is German (`phrases.FALLBACK`) whatever the asker's language."""
    return phrase(FALLBACK, key, **values)


def _example_text(event: gr.SelectData) -> str:
    value = event.value
    return value.get("text", "") if isinstance(value, dict) else str(value)


class ChatApp:
    """The handlers behind the page. Gradio runs them in threads; the `Assistant` is safe for that (questions
    read one snapshot, uploads write batch by batch), so no lock here: an upload never holds up a question."""

    def __init__(self, assistant: Assistant, *, uploads_dir: Path | None = None, pieces: Pieces | None = None) -> None:
        self.assistant = assistant
        self.uploads_dir = Path(uploads_dir) if uploads_dir else assistant.index_dir / "uploads"
        self.pieces = pieces or word_pieces
        self.kept = ChatConversations(assistant)
        self.visits = Visits(assistant)

    # --- chat -------------------------------------------------------------------------------
    def take_question(self, question: str, history: list[ChatMessage]) -> tuple[str, list[ChatMessage], str]:
        """Show the question at once and clear the box; the answer follows in `respond`."""
        history = list(history or [])
        text = (question or "").strip()
        if text:
            history.append({"role": "user", "content": html.escape(text)})
        return "", history, text

    def respond(
        self,
        question: str,
        shown: list[ChatMessage],
        conversation: list[Message],
        k: float | None = None,
        sources: Sequence[str] | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        request: gr.Request | None = None,
    ) -> Iterator[tuple[list[ChatMessage], list[Message]]]:
        """Stream the answer into the chat (`shown`, HTML) and add the turn to the plain `conversation` the
        next follow-up is read from, and to the user's kept conversation (`request`: from the page); every
        failure becomes a message, never a stack trace.

        "Was ist neu seit …?" is answered with the digest of that window (the user's visit before, `visits`, for
        "seit meinem letzten Besuch"), "Wie berichten die Medien über …?" with the outlet comparison."""
        shown, conversation = list(shown or []), list(conversation or [])
        if not (question or "").strip():
            yield [*shown, _bot(notice_html(EMPTY_QUESTION))], conversation
            return
        language = guess_language(question)
        shown.append(_bot(notice_html(html.escape(phrase(language, "searching")), css="na-pending")))
        yield list(shown), conversation
        turn: ChatTurn | None = None
        try:
            user = user_of(request)
            # "gestern" counts from the ``as_of`` setting (an archive of the past), else from today
            asked_digest = digest_ask(question.strip(), lambda: self.assistant.now(), lambda: self.visits.before(user))
            if asked_digest is not None:
                answer = yield from self._digest(question.strip(), asked_digest, language, shown, conversation)
            else:
                turn = self._turn(question, conversation, k, sources, date_from, date_to)
                if asks_for_comparison(turn.question):
                    answer = yield from self._compare(turn, language, shown, conversation)
                else:
                    answer = yield from self._show(turn, shown, conversation)
        except Exception as error:  # every failure becomes a message in the chat
            shown[-1], answer = _bot(self._failure_html(error, language)), None
        asked = turn or ChatTurn(question.strip(), question.strip(), iter(()))
        if answer is not None:
            self.kept.keep(request, asked.question, asked.searched, answer)
        yield list(shown), [*conversation, *asked.messages(answer)]

    def _turn(
        self,
        question: str,
        conversation: list[Message],
        k: float | None,
        sources: Sequence[str] | None,
        date_from: str | None,
        date_to: str | None,
    ) -> ChatTurn:
        """The page's options as the library takes them (a bad date or `k` is the user's to fix), then the turn
        (which checks the question itself)."""
        k = check_k(k, self.assistant.settings.max_top_k)  # the slider sends a float: checked before `int`
        search_filter = search_filter_from(sources, date_from, date_to)
        return self.assistant.chat(question, conversation, k=int(k) if k else None, search_filter=search_filter)

    def _show(
        self, turn: ChatTurn, shown: list[ChatMessage], conversation: list[Message]
    ) -> Generator[tuple[list[ChatMessage], list[Message]], None, Answer]:
        """The answer message as it grows (piece by piece), then complete with its sources; returns the answer."""
        searched = turn.searched if turn.rewritten else None
        growing = Answer(turn.searched, "", False, language=guess_language(turn.searched))
        text, items = "", iter(turn)
        item = next(items, None)
        while isinstance(item, str):
            following = next(items, None)  # a piece followed by the answer is shown with what the answer knows
            known = following if isinstance(following, Answer) else growing
            for piece in self.pieces(item):
                text += piece
                shown[-1] = _bot(message_html(known, text=text, searched_for=searched, streaming=True))
                yield list(shown), conversation
            item = following
        if not isinstance(item, Answer):
            raise RuntimeError("the answer stream ended without an answer")
        shown[-1] = _bot(message_html(item, searched_for=searched, article_for=ArticleLookup(self.assistant)))
        return item

    def _compare(
        self, turn: ChatTurn, language: str, shown: list[ChatMessage], conversation: list[Message]
    ) -> Generator[tuple[list[ChatMessage], list[Message]], None, Answer | None]:
        """How the outlets report what the (follow-up made standalone) question is about, section by section."""
        shown[-1] = _bot(notice_html(html.escape(phrase(language, "compare_searching")), css="na-pending"))
        yield list(shown), conversation
        comparison = self.assistant.compare(turn.searched)
        frames = comparison_frames(comparison, language, ArticleLookup(self.assistant))
        return (yield from self._frames(frames, shown, conversation))

    def _digest(
        self, question: str, asked: DigestAsk, language: str, shown: list[ChatMessage], conversation: list[Message]
    ) -> Generator[tuple[list[ChatMessage], list[Message]], None, Answer | None]:
        """What is new in the asked window, story by story (a first visit has no "last visit" to start from)."""
        if asked.since is None:
            shown[-1] = _bot(notice_html(html.escape(phrase(language, "digest_first_visit"))))
            yield list(shown), conversation
            return None
        when = html.escape(phrase(language, "digest_searching", since=since_text(asked.since, language)))
        shown[-1] = _bot(notice_html(when, css="na-pending"))
        yield list(shown), conversation
        stories = digest_of(self.assistant, asked.since)
        frames = digest_frames(question, stories, asked.since, language, ArticleLookup(self.assistant))
        return (yield from self._frames(frames, shown, conversation))

    @staticmethod
    def _frames(
        frames: Generator[str, None, Answer | None], shown: list[ChatMessage], conversation: list[Message]
    ) -> Generator[tuple[list[ChatMessage], list[Message]], None, Answer | None]:
        """A view's message as it grows, in place of the pending one; returns the view's plain answer."""
        while True:
            try:
                frame = next(frames)
            except StopIteration as done:
                return done.value
            shown[-1] = _bot(frame)
            yield list(shown), conversation

    def _failure_html(self, error: Exception, language: str) -> str:
        text = phrases_for(language)
        if isinstance(error, IndexNotFoundError) and self._is_empty():
            return notice_html(html.escape(upload_hint(language)))
        if isinstance(error, EmptyQuestionError):
            return notice_html(EMPTY_QUESTION)
        if isinstance(error, InvalidInputError):
            return notice_html(html.escape(str(error)))
        if isinstance(error, AssistantError):
            return notice_html(f"{html.escape(text['problem'])}: {html.escape(str(error))}", css="na-error")
        log.exception("the chat failed to answer")
        return notice_html(f"{html.escape(text['failure'])}: {html.escape(_one_line(error))}", css="na-error")

    def _is_empty(self) -> bool:
        return self.assistant.status().articles == 0

    # --- uploads ----------------------------------------------------------------------------
    def upload(
        self, files: Sequence[str] | None, progress: gr.Progress = UPLOAD_PROGRESS
    ) -> tuple[str, str, gr.Dropdown, None]:
        """Copy the uploaded files into the uploads folder and index them; report per file.

        Files over the limits are refused before indexing; Gradio's temporary copies are deleted in any case."""
        paths = [Path(f) for f in files or []]
        try:
            refusals = screen(paths, UploadLimits.from_settings(self.assistant.settings))
            outcomes = [
                FileOutcome(safe_file_name(path.name), "refused", refusal)
                if refusal
                else self._upload_one(path, n, len(paths), progress)
                for n, (path, refusal) in enumerate(zip(paths, refusals, strict=True))
            ]
        finally:
            discard_temporary(paths, Path(gr.utils.get_upload_folder()))
        try:
            status, sources = self.refresh()
        except Exception:  # the report matters more than the status line
            log.exception("refreshing the status after an upload failed")
            status, sources = "", gr.Dropdown()
        return report_html(outcomes), status, sources, None

    def _upload_one(self, source: Path, number: int, total: int, progress: gr.Progress) -> FileOutcome:
        """Place the file in the uploads folder and index it; a refused file is taken out again."""
        name = safe_file_name(source.name)
        target = self.uploads_dir / name
        try:
            placement = place(source, target)
        except OSError as error:
            return FileOutcome(name, "refused", f"cannot store the file: {error.strerror or error}")
        outcome = FileOutcome(name, "refused")
        try:
            outcome = self._index_one(name, target, number, total, progress)
        finally:
            if outcome.status == "refused":
                placement.undo()
            else:
                placement.keep()
        return outcome

    def _index_one(self, name: str, item: Path | str, number: int, total: int, progress: gr.Progress) -> FileOutcome:
        """Index one uploaded file or one address, with progress (and the wait for other writers) on the bar."""
        progress(number / max(total, 1), desc=f"{name} …")

        def step(done: int, count: int, what: str) -> None:
            progress((number + done / max(count, 1)) / max(total, 1), desc=f"{name}: {done}/{count}")

        def waiting(text: str) -> None:  # another process (or upload) is indexing: say so, questions go on
            progress(number / max(total, 1), desc=f"{name}: {text}")

        try:
            report = self.assistant.index([item], progress=step, waiting=waiting)
            titles = [self._title(article_id) for article_id in (report.added + report.updated)[:1]]
        except AssistantError as error:
            return FileOutcome(name, "refused", str(error))
        except Exception as error:  # one broken file or address must not break the page
            log.exception("indexing %s failed", name)
            return FileOutcome(name, "refused", f"internal error: {_one_line(error)}")
        return outcome_of(name, report, titles)

    def add_urls(self, text: str | None, progress: gr.Progress = UPLOAD_PROGRESS) -> tuple[str, str, gr.Dropdown, str]:
        """Fetch article pages and feeds (one address per line) and index them; report per address.

        Non-public addresses are refused unless ASSISTANT_FETCH_ALLOW_PRIVATE is set: the server must not become
        a proxy into its own network."""
        wanted, outcomes = url_list(text or "", self.assistant.settings.max_upload_files)
        for number, url in enumerate(wanted):
            outcomes.append(self._index_one(url, url, number, len(wanted), progress))
        try:
            status, sources = self.refresh()
        except Exception:  # the report matters more than the status line
            log.exception("refreshing the status after fetching failed")
            status, sources = "", gr.Dropdown()
        return report_html(outcomes), status, sources, ""

    def _title(self, article_id: str) -> str:
        try:
            return self.assistant.article(article_id).title
        except AssistantError:
            return ""

    # --- status -----------------------------------------------------------------------------
    def refresh(self) -> tuple[str, gr.Dropdown]:
        """The status area and the source choices, as they are now."""
        status = self.assistant.status()
        sources = self.source_names()
        shown = status_html(status.articles, status.chunks, status.embedding_model, status.last_changed)
        return shown, gr.Dropdown(choices=sources)

    def source_names(self) -> list[str]:
        try:
            return self.assistant.sources()
        except IndexNotFoundError:
            return []

    # --- API ---------------------------------------------------------------------------------
    # `gr.api` builds the API's schema from these annotations: `dict[str, Any]` is what the clients were given.
    def ask_api(
        self,
        question: str,
        k: int | None = None,
        sources: list[str] | None = None,
        published_from: str | None = None,
        published_to: str | None = None,
    ) -> dict[str, Any]:
        """Answer a question from the indexed articles; returns the `assistant ask --json` structure."""
        try:
            search_filter = search_filter_from(sources, published_from, published_to)  # `ask` checks the rest
            return self.assistant.ask(question, k=k, search_filter=search_filter).to_dict()
        except AssistantError as error:
            raise gr.Error(str(error)) from error
        except Exception as error:
            log.exception("the /ask API failed")
            raise gr.Error(f"Something went wrong inside the assistant: {_one_line(error)}") from error

    def status_api(self) -> dict[str, Any]:
        """What the index holds: articles, chunks, embedding model, last change (Unix time)."""
        return self.assistant.status().as_dict()


# --------------------------------------------------------------------------- streaming seam


def word_pieces(text: str, *, updates: int = 40, delay: float = 0.025) -> Iterator[str]:
    """A piece of answer text word by word (at most `updates` steps), paced so the reader sees it arrive."""
    words = re.findall(r"\S+\s*", text)
    size = max(1, math.ceil(len(words) / updates))
    for start in range(0, len(words), size):
        if start:
            time.sleep(delay)
        yield "".join(words[start : start + size])


# --------------------------------------------------------------------------- uploads


def safe_file_name(name: str) -> str:
    """The base name only, without path tricks or hidden-file dots (re-uploads land on the same file)."""
    base = re.split(r"[\\/]", name)[-1]
    base = re.sub(r"[^\w.\-()+ ]+", "_", base).strip().lstrip(".")
    return base[:150] or "upload.txt"


def url_list(text: str, limit: int) -> tuple[list[str], list[FileOutcome]]:
    """The http(s) addresses in `text` (one per line or space-separated, each once, at most `limit`), and a
    refusal for every other entry."""
    wanted: list[str] = []
    refused: list[FileOutcome] = []
    for entry in dict.fromkeys(text.split()):
        if not is_url(entry):
            refused.append(FileOutcome(entry[:200], "refused", "not an http:// or https:// address"))
        elif len(wanted) >= limit:
            refused.append(FileOutcome(entry[:200], "refused", f"more than {limit} addresses at once"))
        else:
            wanted.append(entry)
    return wanted, refused


def _bot(content: str) -> ChatMessage:
    return {"role": "assistant", "content": content}


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:300]


def launch(
    app: gr.Blocks,
    host: str = "127.0.0.1",
    port: int = 7860,
    *,
    block: bool = True,
    auth: Auth | None = None,
    sessions: SessionCheck | None = None,
    keys: KeyCheck | None = None,
    programs: ProgramRoutes | None = None,
    **kwargs: Any,
) -> str:
    """Start the server with the page's theme and styles; returns the local URL (blocks unless `block=False`).

    With `auth`, Gradio's login asks for a name and password, and `LoginGate` closes the routes it leaves open;
    with `sessions` too, it ends the sessions of users removed or given a new password since they logged in;
    `keys` let programs in with ``Authorization: Bearer KEY``. `programs` adds the JSON API, ``/v1`` and
    ``/mcp`` (`assistant.serve.programs`) to the same server, behind the same gate."""
    app.queue(default_concurrency_limit=4)  # questions and writes have their own groups (`build_app`, docs/chat.md)
    if auth is not None:
        kwargs.update(
            auth=off_the_event_loop(auth), auth_message="Nachrichten-Assistent: bitte anmelden. / Please log in."
        )
    kwargs["app_kwargs"] = _server_parts(auth is not None, sessions, keys, programs)
    host = url_host(host)
    app.launch(server_name=host, server_port=port, theme=THEME, css=CSS, **LAUNCH_OPTIONS, **kwargs)
    url = f"http://{host}:{port}"
    if block:
        app.block_thread()
    return url


def _server_parts(
    gated: bool, sessions: SessionCheck | None, keys: KeyCheck | None, programs: ProgramRoutes | None
) -> dict[str, object]:
    """What Gradio's FastAPI app is created with: the routes for programs and their lifespan, and the gate."""
    parts: dict[str, object] = {}
    if programs is not None:
        parts.update(routes=programs.routes, lifespan=programs.lifespan)
    if gated:
        parts["middleware"] = gate_middleware(sessions, keys)
    return parts


LAUNCH_OPTIONS: dict[str, Any] = {
    "prevent_thread_lock": True,
    "quiet": True,
    "ssr_mode": False,
    "show_error": False,
    "footer_links": ["api"],
    "run_history": False,  # its routes talk to the Hugging Face hub; nothing here needs them
}


def serve(
    assistant: Assistant,
    host: str = "127.0.0.1",
    port: int = 7860,
    *,
    uploads_dir: Path | None = None,
    on_ready: Callable[[str], None] | None = None,
    auth: Auth | None = None,
    sessions: SessionCheck | None = None,
    keys: KeyCheck | None = None,
    open_caller: Caller | None = None,
) -> None:
    """Load the model (so the first question is quick), then serve the chat and the routes for programs (JSON
    API, OpenAI-compatible, MCP) until interrupted; what token states need loads in the background once the
    chat is up.

    Follow-ups are rewritten as the assistant does it (`Assistant.rewriter`: by the language model when one is
    configured), the same for `assistant serve` and any other caller."""
    assistant.embeddings.embed_query("warm up")
    app = build_app(assistant, uploads_dir=uploads_dir)
    limit = gradio_file_limit(assistant.settings)
    programs = program_routes(assistant, host=host, open_caller=open_caller, gated=auth is not None)
    launch(
        app, host, port, block=False, auth=auth, sessions=sessions, keys=keys, programs=programs, max_file_size=limit
    )
    (on_ready or (lambda url: print(f"Chat läuft auf {url}", flush=True)))(f"http://{url_host(host)}:{port}")
    warm_in_background(assistant.embeddings)  # the first English question or near call then waits for nothing
    app.block_thread()


def url_host(host: str) -> str:
    """The host as a URL (and Gradio's ``server_name``) takes it: an IPv6 address in brackets (``[::1]``)."""
    bare = host.strip().strip("[]")
    return f"[{bare}]" if ":" in bare else host.strip()


def gradio_file_limit(settings: Settings) -> int:
    """Gradio's own cut-off, above ours: files between get our per-file reason, larger ones never get stored."""
    return 2 * settings.max_upload_bytes


THEME = gr.themes.Soft(primary_hue="indigo", neutral_hue="slate")

CSS = (resources.files("assistant.serve") / "chat.css").read_text(encoding="utf-8")
"""The page's styles, from ``chat.css`` beside this module (package data: an installed wheel carries it)."""
