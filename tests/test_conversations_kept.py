"""Conversations that last: kept per user on the index's storage (its folder, or its Chroma server), resumed
with follow-ups read in context, deleted, and exported as Markdown with every quote verbatim, its source and link."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.serve.conversations import ConversationNotFoundError, Conversations, conversation_markdown
from assistant.serve.user_store import FolderUserStore, ServerUserStore, UserRecord, UserStore, user_store_for
from tests.helpers import CHROMA, ChromaServer

pytestmark = pytest.mark.slow

TOPIC = "Worüber verhandeln Russland und die Ukraine?"
FOLLOW_UP = "Und wer sollte vermitteln?"


def _resumed_conversation(indexed: Assistant, store: UserStore) -> None:
    """Start, ask, follow up in context, read back as another process would, export, keep users apart, delete."""
    anna = Conversations(indexed, store, "anna")
    talk = anna.start()
    anna.ask(talk.id, TOPIC)
    second, answer = anna.ask(talk.id, FOLLOW_UP)
    assert second.searched != FOLLOW_UP and TOPIC in second.searched  # the earlier turn made it whole
    assert "Katar" in answer.answer

    again = Conversations(indexed, store, "anna")  # a new process on the same storage
    [kept] = again.recent()
    assert kept.id == talk.id and kept.title == TOPIC and [t.question for t in kept.turns] == [TOPIC, FOLLOW_UP]
    assert kept.turns[1].answer == answer.to_dict()

    text = again.markdown(talk.id)
    assert text.startswith(f"# {TOPIC}\n") and f"## 2. {FOLLOW_UP}" in text
    for turn in kept.turns:
        for quote in turn.answer["quotes"]:  # type: ignore[union-attr]
            article = indexed.article(quote["article_id"])
            assert article.text[quote["start"] : quote["end"]] == quote["text"]
            assert "\n".join(f"> {line}" if line else ">" for line in quote["text"].split("\n")) in text
            assert f"`{quote['article_id']}` [{quote['start']}:{quote['end']}]" in text
            assert quote["source"] in text

    assert Conversations(indexed, store, "ben").recent() == []  # another user sees none of it
    with pytest.raises(ConversationNotFoundError):
        Conversations(indexed, store, "ben").get(talk.id)
    again.delete(talk.id)
    assert again.recent() == []
    with pytest.raises(ConversationNotFoundError):
        again.markdown(talk.id)
    with pytest.raises(ConversationNotFoundError):
        again.get("../../etc/passwd")


def test_a_conversation_in_the_index_folder_lasts(indexed: Assistant) -> None:
    store = user_store_for(indexed)
    assert isinstance(store, FolderUserStore) and store.path.parent == indexed.index_dir
    _resumed_conversation(indexed, store)


def test_turns_added_at_once_by_two_writers_are_all_kept(indexed: Assistant, tmp_path: Path) -> None:
    """Every turn is a record of its own: two writers (threads here, processes alike) lose nothing."""
    store = FolderUserStore(indexed.index_dir / "user_records.sqlite")
    talk = Conversations(indexed, store, "anna").start("zusammen")
    conversation = Conversations(indexed, store, "anna").get(talk.id)
    answer = indexed.ask(TOPIC)

    def add(number: int) -> None:
        writer = Conversations(indexed, FolderUserStore(store.path), "anna")
        for turn in range(5):
            writer.keep(conversation, f"Frage {number}.{turn}", f"Frage {number}.{turn}", answer)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(Conversations(indexed, store, "anna").get(talk.id).turns) == 20


def test_markdown_keeps_quotes_verbatim_and_lists_links(indexed: Assistant) -> None:
    store = FolderUserStore(indexed.index_dir / "user_records.sqlite")
    conversations = Conversations(indexed, store)
    talk = conversations.start("Export")
    answer = indexed.ask(TOPIC)
    conversations.keep(talk, TOPIC, TOPIC, answer)
    text = conversation_markdown(conversations.get(talk.id))
    assert text.startswith("# Export\n") and answer.answer in text and "**Quellen**" in text


@pytest.mark.skipif(not CHROMA.exists() and shutil.which("chroma") is None, reason="needs the chroma CLI")
def test_conversations_follow_the_archive_to_a_chroma_server(indexed: Assistant, tmp_path: Path) -> None:
    """The same records in the Chroma server's collection: every machine on that server sees them."""
    server = ChromaServer(tmp_path / "chroma-server")
    server.start()
    try:
        store = ServerUserStore(server.url, "articles")
        _resumed_conversation(indexed, store)
        store.put(UserRecord("anna", "saved_question", "q1", "q1", 1.0, {"question": TOPIC}))
        other_machine = ServerUserStore(server.url, "articles")
        assert [r.body for r in other_machine.records("anna", kind="saved_question")] == [{"question": TOPIC}]
        assert other_machine.delete_group("anna", "q1") == 1 and other_machine.records("anna") == []
    finally:
        server.stop()


# --------------------------------------------------------------------------- in the chat


def test_the_chat_keeps_each_page_session_as_a_conversation_to_resume_export_and_delete(indexed: Assistant) -> None:
    """The chat's own handlers, as the page calls them (with Gradio's request: the login's name, the session)."""
    import gradio as gr

    from assistant.serve.chat_app import ChatApp

    chat = ChatApp(indexed, pieces=lambda text: iter([text]))
    page = gr.Request(username="anna", session_hash="seite-1")

    def ask(question: str, shown: list, conversation: list, request: gr.Request) -> tuple[list, list]:
        _, shown, pending = chat.take_question(question, shown)
        *_, (shown, conversation) = chat.respond(pending, shown, conversation, request=request)
        return shown, conversation

    shown, conversation = ask(TOPIC, [], [], page)
    shown, conversation = ask(FOLLOW_UP, shown, conversation, page)
    list(chat.respond("Wer?", [], []))  # from Python (no request): nothing is kept

    kept = Conversations.of(indexed, "anna").recent()
    assert len(kept) == 1 and [turn.question for turn in kept[0].turns] == [TOPIC, FOLLOW_UP]
    assert Conversations.of(indexed).recent() == []  # the local user has none
    choices = chat.kept.choices(page).constructor_args["choices"]
    assert [value for _, value in choices] == [kept[0].id] and choices[0][0].startswith(TOPIC[:30])

    # another page session of the same user: a new chat resumes the kept one and continues it
    other = gr.Request(username="anna", session_hash="seite-2")
    resumed, messages, _ = chat.kept.resume(kept[0].id, other)
    assert [m["role"] for m in resumed] == ["user", "assistant"] * 2 and "Katar" in resumed[-1]["content"]
    assert "na-source" in resumed[-1]["content"]  # the sources shown again
    assert messages == kept[0].messages()
    ask("Wann sollten die Gespräche beginnen?", resumed, messages, other)
    assert len(Conversations.of(indexed, "anna").get(kept[0].id).turns) == 3

    exported = Path(chat.kept.export(kept[0].id, other)).read_text(encoding="utf-8")
    assert exported.startswith(f"# {TOPIC}") and "## 3. Wann sollten die Gespräche beginnen?" in exported
    with pytest.raises(gr.Error):
        chat.kept.export(None, other)
    assert chat.kept.start_new(other)[:2] == ([], [])
    ask("Worüber verhandeln Russland und die Ukraine?", [], [], other)  # a new conversation
    assert len(Conversations.of(indexed, "anna").recent()) == 2
    chat.kept.delete(kept[0].id, other)
    assert [c.id for c in Conversations.of(indexed, "anna").recent()] != [kept[0].id]
    assert len(Conversations.of(indexed, "anna").recent()) == 1


def test_the_chat_page_has_the_conversation_panel(indexed: Assistant) -> None:
    from assistant.serve.chat_app import build_app

    config = build_app(indexed).get_config_file()
    ids = {component.get("props", {}).get("elem_id") for component in config["components"]}
    assert {"na-kept", "na-kept-list", "na-resume", "na-new", "na-export", "na-delete"} <= ids
