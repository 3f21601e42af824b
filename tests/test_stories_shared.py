"""Stories shared through a Chroma server (`chroma run` on 127.0.0.1): two machines (two index folders, each CLI
run its own process) that learn of the articles in another order see the same story ids, a merge made on one
resolves on the other, and a writer killed halfway leaves nothing the next run does not repair."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.articles import Article
from assistant.stories.book import Entry, StoryBook
from assistant.stories.clustering import Decision, Profile, story_id_for
from tests.helpers import ChromaServer, chroma_running, cli, cli_env
from tests.stories_samples import ARTICLES

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Could not reconstruct embedding function")]

SAMPLES = {a.id: a for a in ARTICLES}
SHIP = (
    "Im Hafen von Kiel ist am Morgen ein Containerschiff der Reederei Nordlicht auf Grund gelaufen. "
    "Die Wasserschutzpolizei sperrte die Fahrrinne, Schlepper versuchen das Schiff freizuziehen. "
)


def _ship(aid: str, day: str, title: str, extra: str) -> Article:
    return Article(id=aid, title=title, source=f"{aid}.de", published=day, text=SHIP + extra, url=f"https://{aid}.de")


# Twenty days apart the first two are two stories; the one between them shows they are one (the later story then
# moves into the earlier, its id leading there).
SHIPS = {
    "ship-early": _ship(
        "ship-early", "2024-05-01", "Containerschiff in Kiel auf Grund gelaufen", "Verletzt wurde niemand."
    ),
    "ship-later": _ship("ship-later", "2024-05-21", "Containerschiff in Kiel festgefahren", "Die Bergung dauert an."),
    "ship-middle": _ship("ship-middle", "2024-05-11", "Kiel: Schiff sitzt fest", "Die Reederei prüft Schadenersatz."),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    with chroma_running(tmp_path_factory.mktemp("stories-shared") / "chroma-server") as chroma:
        yield chroma


def news(path: Path, articles: list[Article]) -> Path:
    rows = [{"id": a.id, "title": a.title, "source": a.source, "published": a.published, "url": a.url,
             "text": a.text} for a in articles]  # fmt: skip
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def env(server: ChromaServer, collection: str) -> dict[str, str]:
    return cli_env({"ASSISTANT_CHROMA_URL": server.url, "ASSISTANT_COLLECTION": collection})


def run(server: ChromaServer, collection: str, machine: Path, *args: str) -> Any:
    """`assistant ARGS --json` on one machine (its own index folder), as its own process."""
    result = subprocess.run(
        cli(*args, "--index-dir", str(machine), "--json"),
        cwd=machine.parent,
        capture_output=True,
        text=True,
        timeout=600,
        env=env(server, collection),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def by_article(stories: list[dict[str, Any]]) -> dict[str, str]:
    return {aid: story["id"] for story in stories for aid in story["article_ids"]}


def server_book(server: ChromaServer, collection: str) -> dict[str, dict[str, Any]]:
    """The server's story records by id (members ``m:…``, aliases ``a:…``, the marker)."""
    import chromadb

    records = chromadb.HttpClient(host="127.0.0.1", port=server.port).get_collection(f"{collection}-stories")
    got = records.get(include=["metadatas"])
    return dict(zip(got["ids"], got["metadatas"], strict=True))


def test_two_machines_see_the_same_stories_and_merges(server: ChromaServer, tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    # Machine A learns of the fire from its second article first: the story is named after fire-2. A machine
    # filling its own book from the archive in publication order would name it after fire-1.
    run(server, "shared", a, "index", str(news(tmp_path / "a1.jsonl", [SAMPLES["fire-2"], SHIPS["ship-early"],
                                                                         SHIPS["ship-later"]])))  # fmt: skip
    run(server, "shared", a, "index", str(news(tmp_path / "a2.jsonl", [SAMPLES["fire-1"], SAMPLES["strike-1"]])))
    before = by_article(run(server, "shared", a, "stories"))
    assert before["fire-1"] == before["fire-2"] == story_id_for("fire-2")
    assert before["ship-early"] != before["ship-later"]

    # Machine B indexes the rest: its book is the server's first; the article between the two ship stories merges them.
    run(server, "shared", b, "index", str(news(tmp_path / "b.jsonl", [SAMPLES["fire-3"], SHIPS["ship-middle"]])))
    on_b = run(server, "shared", b, "stories")
    on_a = run(server, "shared", a, "stories")
    on_c = run(server, "shared", c, "stories")  # a third machine that never indexed: a reader
    assert on_a == on_b == on_c
    story = by_article(on_b)
    assert story["fire-3"] == story["fire-1"] == story_id_for("fire-2")
    assert story["ship-early"] == story["ship-later"] == story["ship-middle"]
    merged_away = ({before["ship-early"], before["ship-later"]} - {story["ship-early"]}).pop()
    page = run(server, "shared", a, "story", merged_away)  # the merge was made on B; the old id resolves on A
    assert page["id"] == story["ship-early"]
    assert sorted(page["article_ids"]) == ["ship-early", "ship-later", "ship-middle"]

    records = server_book(server, "shared")
    members = {rid[2:]: meta for rid, meta in records.items() if rid.startswith("m:")}
    assert set(members) == set(story)  # one record per member
    assert records[f"a:{merged_away}"]["new"] == story["ship-early"]  # and one per alias

    shutil.rmtree(a)  # the local book is a cache: filled again from the server
    assert run(server, "shared", a, "stories") == on_b


def test_a_writer_killed_halfway_is_repaired_by_the_next_run(server: ChromaServer, tmp_path: Path) -> None:
    """A writer killed after some articles (its last push may be missing or half made); a stray record of a push
    that never moved the marker is added for sure. The next run, on another machine, makes the server's book match
    the record again, and every machine agrees."""
    a, b = tmp_path / "a", tmp_path / "b"
    feed = news(tmp_path / "all.jsonl", [*ARTICLES, *SHIPS.values()])
    writer = subprocess.Popen(
        cli("index", str(feed), "--index-dir", str(a)),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**env(server, "killed"), "ASSISTANT_INDEX_BATCH_CHARS": "1"},
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and writer.poll() is None:
        if sum(rid.startswith("m:") for rid in _server_book_or_empty(server, "killed")) >= 2:
            break
        time.sleep(0.02)
    assert writer.poll() is None, "the writer finished before it could be killed"
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    stray(server, "killed")

    run(server, "killed", b, "index", str(feed))
    on_b, on_a = run(server, "killed", b, "stories"), run(server, "killed", a, "stories")
    assert on_a == on_b
    story = by_article(on_b)
    assert set(story) == set(SAMPLES) | set(SHIPS)
    assert story["fire-1"] == story["fire-2"] == story["fire-3"] != story["strike-1"]
    records = server_book(server, "killed")
    assert {rid[2:] for rid in records if rid.startswith("m:")} == set(story)  # the stray member is gone


def _server_book_or_empty(server: ChromaServer, collection: str) -> dict[str, dict[str, Any]]:
    from chromadb.errors import NotFoundError

    try:
        return server_book(server, collection)
    except NotFoundError:
        return {}


def stray(server: ChromaServer, collection: str) -> None:
    """What a writer killed during a push leaves for sure: a record written (the member of an article the record no
    longer holds), the marker not moved."""
    import base64

    import chromadb

    records = chromadb.HttpClient(host="127.0.0.1", port=server.port).get_collection(f"{collection}-stories")
    vector = base64.b64encode(bytes(4 * 384)).decode("ascii")
    marker = records.get(ids=["changes"], include=["metadatas"])["metadatas"] or [{}]
    serial = int(marker[0].get("serial") or 0) + 1  # numbered as the push that never moved the marker numbers it
    meta = {"article_id": "ghost", "joined": "s-ghost", "seq": 10_000, "serial": serial}
    document = json.dumps({"terms": {"geist": 1.0}, "vector": vector})
    records.upsert(ids=["m:ghost"], embeddings=[[1.0]], metadatas=[meta], documents=[document])


def _member(book: StoryBook, aid: str, story: str, lead: list[float], day: int, merge: tuple[str, ...] = ()) -> None:
    vector = np.asarray(lead, np.float32)
    found = book.profiles({story})
    profile = found[0] if found else Profile(story, np.zeros(2, np.float32), {}, None, None)
    merged = [p for p in book.profiles(set(merge))]
    book.apply(Decision(profile.joined(aid, vector, {"kiel": 1.0}, day), not found, merged), aid, vector,
               {"kiel": 1.0}, day)  # fmt: skip


def _state(book: StoryBook) -> tuple[dict[str, str], dict[str, str], list[tuple[str, int]]]:
    stories = sorted((p.id, p.size) for p in book.profiles({m.story_id for m in book.members()}))
    return {m.article_id: m.story_id for m in book.members()}, book.aliases(), stories


def test_a_reader_takes_in_only_what_was_written_since_it_last_looked(server: ChromaServer, tmp_path: Path) -> None:
    """The incremental pull: after one full pull, a reader lists only the records written after the state it
    matched (merges included); a removal on the server makes it list every member again; a writer whose book
    matched the marker removes only a killed push's strays, without listing the rest."""
    from assistant.indexing.store import open_client
    from assistant.stories.shared_book import SharedBook

    a, b = StoryBook(tmp_path / "a.sqlite3"), StoryBook(tmp_path / "b.sqlite3")
    writer, reader = (SharedBook(open_client(Path(), server.url), "pulls", server.url) for _ in range(2))
    listed: list[int | None] = []
    original = reader._listing

    def listing(after: int | None = None) -> tuple[dict[str, Entry], dict[str, str]]:
        listed.append(after)
        return original(after)

    reader._listing = listing  # type: ignore[method-assign]  # counts the calls, lists as before
    try:
        _member(a, "x1", "s-x", [1.0, 0.0], 10)
        _member(a, "y1", "s-y", [0.0, 1.0], 30)
        writer.reconcile(a)
        assert reader.pull(b) and listed == [None] and _state(b) == _state(a)

        _member(a, "x2", "s-x", [1.0, 0.1], 11)
        writer.push(a, ["x2"], ["s-x"], [])
        assert reader.pull(b) and listed[-1] is not None and _state(b) == _state(a)
        assert not reader.pull(b)  # nothing new: the marker alone

        _member(a, "z1", "s-x", [0.5, 0.5], 20, merge=("s-y",))  # joins s-x and shows s-y to be the same story
        writer.push(a, ["z1"], ["s-x"], [])
        assert reader.pull(b) and listed[-1] is not None and _state(b) == _state(a)
        assert b.resolve("s-y") == "s-x" and {m.article_id for m in b.members("s-x")} == {"x1", "x2", "y1", "z1"}

        a.remove(["x2"])
        writer.push(a, [], [], ["x2"])
        assert reader.pull(b) and listed[-1] is None and _state(b) == _state(a)  # a removal: every member listed

        writer._put_members(a.stored(["x1"]) | {"ghost": a.stored(["z1"])["z1"]}, writer.state().serial + 1)
        writer.reconcile(a)  # a push killed before the marker moved left "ghost"
        assert reader.pull(b) and _state(b) == _state(a) and "ghost" not in _state(b)[0]
    finally:
        a.close()
        b.close()
