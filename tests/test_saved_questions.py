"""Saved questions through `assistant saved` as subprocesses over an index of hand-written dated articles: two
processes saving at once keep both, the first look shows the question's story, the next only what arrived since,
and one user's saved questions are not another's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from assistant import Assistant, Settings
from assistant.embeddings.onnx_backend import OnnxEmbeddings
from assistant.serve.api_keys import ApiKeys
from tests.helpers import serve_process
from tests.stories_samples import ARTICLES, LATE

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
FIRE_QUESTION = "Was gibt es Neues vom Brand im Lager Kara Tepe auf Lesbos?"
STRIKE_QUESTION = "Was gibt es Neues zum Bahnstreik der GDL?"


def _command(index_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "assistant.cli", "saved", *args, "--json", "--index-dir", str(index_dir)]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "ignore"}


def saved(index_dir: Path, *args: str) -> object:
    done = subprocess.run(_command(index_dir, *args), capture_output=True, text=True, env=_env(), cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _index(index_dir: Path, embeddings: OnnxEmbeddings, articles: list) -> None:  # type: ignore[type-arg]
    builder = Assistant(Settings(index_dir=index_dir), embeddings=embeddings)
    try:
        builder.index(articles)
    finally:
        builder.close()


def _sentences(story: dict[str, object]) -> list[dict[str, object]]:
    sentences = story["sentences"]
    assert isinstance(sentences, list)
    return sentences


def test_saved_questions_show_only_what_arrived_since_the_last_look(tmp_path: Path, embeddings: OnnxEmbeddings) -> None:
    index_dir = tmp_path / "index"
    first = [a for a in ARTICLES if a.id != "fire-3"]
    _index(index_dir, embeddings, first)

    # two processes save at once: both questions are kept
    both = [
        subprocess.Popen(_command(index_dir, "add", q), stdout=subprocess.PIPE, text=True, env=_env(), cwd=REPO)
        for q in (FIRE_QUESTION, STRIKE_QUESTION)
    ]
    added = [json.loads(process.communicate(timeout=300)[0]) for process in both]
    assert all(process.returncode == 0 for process in both)
    listed = saved(index_dir, "list")
    assert isinstance(listed, list)
    assert sorted(q["question"] for q in listed) == sorted([FIRE_QUESTION, STRIKE_QUESTION])
    assert {q["id"] for q in listed} == {q["id"] for q in added}
    fire_id = next(q["id"] for q in added if q["question"] == FIRE_QUESTION)
    assert all(q["last_looked"] is None for q in listed)

    # the first look: the question's story, everything in it
    look = saved(index_dir, "digest", fire_id)
    assert isinstance(look, dict) and look["since"] is None
    fire = look["stories"][0]
    assert set(fire["new_articles"]) == {"fire-1", "fire-2"}
    texts = {item["text"] for item in _sentences(fire)}
    assert "Die Polizei ermittelt wegen Brandstiftung." in texts

    # nothing arrived since: nothing to show, and the look is kept
    again = saved(index_dir, "digest", fire_id)
    assert isinstance(again, dict) and again["stories"] == [] and again["since"] == look["looked"]

    # two articles arrive (one published before the others): only they are shown, without what was seen
    _index(index_dir, embeddings, [a for a in ARTICLES if a.id == "fire-3"] + LATE)
    news = saved(index_dir, "digest", fire_id)
    assert isinstance(news, dict)
    fire = news["stories"][0]
    assert set(fire["new_articles"]) == {"fire-3", "fire-late"}
    shown = _sentences(fire)
    articles = {a.id: a for a in [*ARTICLES, *LATE]}
    for item in shown:  # verbatim, and only from the new articles
        assert item["article_id"] in {"fire-3", "fire-late"}
        assert articles[str(item["article_id"])].text[item["start"] : item["end"]] == item["text"]
    texts = {item["text"] for item in shown}
    assert "Die Polizei ermittelt wegen Brandstiftung." not in texts  # seen at the first look (fire-1)
    assert "Die Bewohner des Lagers flohen in die umliegenden Olivenhaine." not in texts
    assert "Das Technische Hilfswerk schickt Zelte und Feldbetten nach Lesbos." in texts
    update = next(item for item in shown if "Mitarakis" in str(item["text"]))
    assert update["update"] and "Kairidis" in update["earlier"]["text"]
    assert saved(index_dir, "digest", fire_id)["stories"] == []  # type: ignore[index]


def test_saved_questions_are_per_user_and_removed(tmp_path: Path, embeddings: OnnxEmbeddings) -> None:
    index_dir = tmp_path / "index"
    _index(index_dir, embeddings, ARTICLES)
    question = saved(index_dir, "add", STRIKE_QUESTION, "--user", "anna")
    assert isinstance(question, dict)
    assert saved(index_dir, "list") == []  # the local user has none
    theirs = subprocess.run(_command(index_dir, "digest", question["id"]), capture_output=True, text=True,
                            env=_env(), cwd=REPO, timeout=300)  # fmt: skip
    assert theirs.returncode == 1 and "no saved question" in theirs.stderr
    look = saved(index_dir, "digest", question["id"], "--user", "anna")
    assert isinstance(look, dict) and set(look["stories"][0]["new_articles"]) == {"strike-1", "strike-2"}
    assert saved(index_dir, "remove", question["id"], "--user", "anna") == {"removed": question["id"]}
    assert saved(index_dir, "list", "--user", "anna") == []
    gone = subprocess.run(_command(index_dir, "digest", question["id"], "--user", "anna"), capture_output=True,
                          text=True, env=_env(), cwd=REPO, timeout=300)  # fmt: skip
    assert gone.returncode == 1
    bad = subprocess.run(_command(index_dir, "add", " "), capture_output=True, text=True, env=_env(), cwd=REPO)
    assert bad.returncode == 1 and "saved question" in bad.stderr


# --------------------------------------------------------------------------- the JSON routes of `assistant serve`


@pytest.fixture
def served(tmp_path: Path, embeddings: OnnxEmbeddings) -> Iterator[tuple[str, Path, str, str]]:
    """`assistant serve --auth` over the samples without fire-3, with two API keys (two users)."""
    index_dir = tmp_path / "index"
    _index(index_dir, embeddings, [a for a in ARTICLES if a.id != "fire-3"])
    keys = ApiKeys(index_dir / "keys.json")
    anna, ben = keys.add("anna"), keys.add("ben")
    with serve_process(index_dir, "--auth") as server:
        yield server.url, index_dir, anna, ben


def test_saved_routes_per_caller_and_only_new_since_the_last_look(
    served: tuple[str, Path, str, str], embeddings: OnnxEmbeddings
) -> None:
    url, index_dir, anna, ben = served

    def call(method: str, path: str, key: str, body: object = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}"}
        return httpx.request(method, url + path, json=body, headers=headers, timeout=120)

    assert httpx.get(url + "/api/saved", timeout=30).status_code == 401  # behind the same gate
    with ThreadPoolExecutor(2) as pool:  # two saves at once: both kept
        posted = list(pool.map(lambda q: call("POST", "/api/saved", anna, {"question": q}),
                               [FIRE_QUESTION, STRIKE_QUESTION]))  # fmt: skip
    assert [r.status_code for r in posted] == [201, 201]
    listed = call("GET", "/api/saved", anna).json()["saved"]
    assert sorted(q["question"] for q in listed) == sorted([FIRE_QUESTION, STRIKE_QUESTION])
    assert call("GET", "/api/saved", ben).json() == {"saved": []}  # the key decides the user
    fire_id = posted[0].json()["id"]
    assert call("GET", f"/api/saved/{fire_id}/digest", ben).status_code == 404
    assert call("POST", "/api/saved", anna, {"frage": "x"}).status_code == 400
    assert call("POST", "/api/saved", anna, {"question": ""}).status_code == 400
    assert call("GET", "/api/saved/nope/digest", anna).status_code == 404

    first = call("GET", f"/api/saved/{fire_id}/digest", anna).json()
    assert set(first["stories"][0]["new_articles"]) == {"fire-1", "fire-2"}
    assert call("GET", f"/api/saved/{fire_id}/digest", anna).json()["stories"] == []
    _index(index_dir, embeddings, [a for a in ARTICLES if a.id == "fire-3"])
    news = call("GET", f"/api/saved/{fire_id}/digest", anna).json()
    assert news["since"] is not None and news["stories"][0]["new_articles"] == ["fire-3"]
    texts = {item["text"] for item in news["stories"][0]["sentences"]}
    assert "Das Technische Hilfswerk schickt Zelte und Feldbetten nach Lesbos." in texts
    assert "Die Polizei ermittelt wegen Brandstiftung." not in texts
    # the CLI sees the same store: the user of a key is key:NAME
    assert {q["id"] for q in saved(index_dir, "list", "--user", "key:anna")} == {q["id"] for q in listed}  # type: ignore[union-attr]

    assert call("DELETE", f"/api/saved/{fire_id}", anna).json() == {"removed": fire_id}
    assert call("DELETE", f"/api/saved/{fire_id}", anna).status_code == 404
    assert [q["question"] for q in call("GET", "/api/saved", anna).json()["saved"]] == [STRIKE_QUESTION]
    paths = call("GET", "/api/openapi.json", anna).json()["paths"]
    assert {"/api/saved", "/api/saved/{saved_id}", "/api/saved/{saved_id}/digest"} <= set(paths)
