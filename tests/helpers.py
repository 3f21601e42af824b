"""What many test files share, in one home: where things are, the CLI as its own process, servers on a free port of
127.0.0.1 (the chat, a Chroma server), and checks every served answer must pass. No test imports another test module;
they import this one (and the sample articles in `tests.samples`)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from assistant import Article, Assistant, Settings
from assistant.protocols import Embedder
from tests.ports import free_port
from tests.samples import question_for

if TYPE_CHECKING:
    from gradio.blocks import Blocks
    from gradio_client import Client
    from mcp import Client as McpClient

    from assistant.embeddings.onnx_backend import OnnxEmbeddings
    from assistant.serve.chat_app import ChatApp

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"
"""The evaluation data beside the checkout (``../shared/data``); tests that need it skip when it is absent."""
ARTIFACTS = REPO / "test-artifacts"
CHROMA = Path(sys.executable).with_name("chroma")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BROWSER_TEST = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting'"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]
"""The marks of a test module that drives the chat in the browser (tests/test_ui_browser.py, which must run on CI,
fails there instead of skipping)."""
MEDIATE = "Wer sollte die Gespräche vermitteln?"
"""A question the seeds answer (the ceasefire talks), asked by the chat tests."""


# --- the command line as its own process ---------------------------------------------------------------------
def cli(*args: str) -> list[str]:
    """The command line of ``assistant ARGS`` run by this interpreter (the checkout's package)."""
    return [sys.executable, "-m", "assistant.cli", *args]


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment for a CLI process: the checkout's package first on its path (whatever its working
    folder), Python's warnings off (they are not the output under test), then `extra`."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "PYTHONWARNINGS": "ignore", **(extra or {})}


def run_cli(
    *args: str,
    cwd: Path = REPO,
    env: dict[str, str] | None = None,
    check: bool = True,
    stdin: str | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """``assistant ARGS`` as its own process, output captured; with `check`, a non-zero exit fails the test with
    its stderr. `env` is added to this process's environment."""
    result = subprocess.run(
        cli(*args),
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(env),
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def write(path: Path, content: str | bytes) -> Path:
    """Write a file (and its folders), text as UTF-8."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


# --- the chat, served --------------------------------------------------------------------------------------------
@dataclass
class Served:
    """The chat app served in this process (see the `served` fixture in conftest.py)."""

    url: str
    assistant: Assistant
    root: Path
    app: Blocks


@contextmanager
def serve_app(
    root: Path,
    embeddings: OnnxEmbeddings,
    articles: dict[str, str] | None = None,
    settings: dict[str, Any] | None = None,
    **launch_options: Any,
) -> Iterator[Served]:
    """The real chat app in this process on a free port of 127.0.0.1, over a fresh index of the seeds and
    `articles` (file name -> text) in ``root/articles``; `settings` and `launch_options` as a caller sets them."""
    from assistant.serve.chat_app import build_app, launch

    shutil.copytree(SEEDS, root / "articles")
    for name, text in (articles or {}).items():
        (root / "articles" / name).write_text(text, encoding="utf-8")
    assistant = Assistant(Settings(index_dir=root / "index", **(settings or {})), embeddings=embeddings)
    try:
        assistant.index([root / "articles"])
        app = build_app(assistant)
        url = launch(app, "127.0.0.1", free_port(), block=False, **launch_options)
        try:
            yield Served(url, assistant, root, app)
        finally:
            app.close()
    finally:
        assistant.close()


@dataclass
class Talk:
    """The page's state across questions: the messages shown (HTML) and the plain conversation (`gr.State`)."""

    shown: list[dict[str, Any]]
    conversation: list[dict[str, Any]]


def answers_of(chat: ChatApp, question: str, talk: Talk | None = None, **options: Any) -> list[str]:
    """Every assistant message `respond` yields for `question` (the last one is the final message); `talk`
    carries the page's state on to the next question."""
    talk = talk or Talk([], [])
    _, shown, pending = chat.take_question(question, talk.shown)
    dates = options.get("dates", ())
    frames = list(chat.respond(pending, shown, talk.conversation, options.get("k"), options.get("sources"), *dates))
    talk.shown, talk.conversation = frames[-1]
    return [frame[0][-1]["content"] for frame in frames]


@dataclass
class Server:
    """`assistant serve` as its own process."""

    url: str
    process: subprocess.Popen[str]
    said: str
    """The first line it printed (where the chat runs)."""
    log: Path
    """Its standard error (a file, not a pipe: a full pipe would stall it)."""
    port: int
    """The free port it was told to serve on."""


def start_serve(
    index_dir: Path, *options: str, host: str = "127.0.0.1", cwd: Path = REPO, env: dict[str, str] | None = None
) -> Server:
    """Start `assistant serve OPTIONS` on a free port of `host` as its own process; returns once it says where the
    chat runs (the URL it printed). `env` is added to this process's environment."""
    port = free_port()
    log = index_dir.parent / f"serve-{port}.log"
    command = cli("serve", "--host", host, "--port", str(port), "--index-dir", str(index_dir), *options)
    with log.open("w") as errors:
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=errors, text=True, env=cli_env(env))
    assert process.stdout is not None
    line = process.stdout.readline()
    if " auf " not in line:
        stop_serve(process)
        raise AssertionError(f"the chat did not start: {line!r} {log.read_text(encoding='utf-8', errors='replace')}")
    return Server(line.split(" auf ", 1)[1].split()[0], process, line, log, port)


def stop_serve(process: subprocess.Popen[str]) -> None:
    """Stop the chat as a service manager stops it, with SIGTERM (killed if it has not ended 30 s later). Not Ctrl+C:
    SIGINT's orderly shutdown waits several seconds (more with a client connected), which no test here checks."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
    if process.stdout is not None:
        process.stdout.close()


@contextmanager
def serve_process(
    index_dir: Path, *options: str, host: str = "127.0.0.1", cwd: Path = REPO, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """`assistant serve OPTIONS` on a free port of `host`, as its own process, until the block ends."""
    server = start_serve(index_dir, *options, host=host, cwd=cwd, env=env)
    try:
        yield server
    finally:
        stop_serve(server.process)


def users_cli(index_dir: Path, *args: str, password: str | None = None) -> None:
    """`assistant users ...` as its own process (the way an operator runs it beside a running chat)."""
    run_cli("users", *args, "--index-dir", str(index_dir), stdin=f"{password}\n" if password is not None else None)


SLOW_ANSWER = 120.0
"""Seconds a test's HTTP client waits for one answer of a chat under test: a deadline, generous for a loaded machine
(a wait that ends at once when the answer comes, not a sleep)."""


def chat_client(url: str, auth: tuple[str, str] | None = None) -> Client:
    """A gradio client of the chat at `url` that waits up to `SLOW_ANSWER` for each response (httpx's 5 s default
    timed out fetching the page's config on a loaded machine)."""
    from gradio_client import Client

    return Client(url, auth=auth, verbose=False, httpx_kwargs={"timeout": SLOW_ANSWER})


@dataclass
class Askers:
    """Threads asking a chat server in a loop; every answer and every error is kept."""

    url: str
    questions: list[str]
    threads: int = 4
    answers: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _running: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for n in range(self.threads):
            thread = threading.Thread(target=self._loop, args=(n,), daemon=True)
            thread.start()
            self._running.append(thread)

    def _loop(self, offset: int) -> None:
        try:  # a loaded machine answers slowly: httpx's 5 s default once killed every asker before its first question
            client = chat_client(self.url)
        except Exception as error:  # counts like any failed question (the thread would end without a trace)
            self.errors.append(f"no client for {self.url}: {error!r}")
            return
        turn = offset
        while not self._stop.is_set():
            question = self.questions[turn % len(self.questions)]
            turn += 1
            try:
                self.answers.append(client.predict(question, api_name="/ask"))
            except Exception as error:  # every error counts
                self.errors.append(f"{question}: {error}")

    def wait_for(self, more: int, timeout: float = SLOW_ANSWER) -> None:
        """Until `more` answers (or errors) beyond those already in have come: the askers are asking now (an
        event to wait for, not a guessed sleep)."""
        goal = len(self.answers) + len(self.errors) + more
        deadline = time.monotonic() + timeout
        while len(self.answers) + len(self.errors) < goal:
            assert time.monotonic() < deadline, f"the askers got {len(self.answers)} answers in {timeout} s"
            time.sleep(0.05)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._running:
            thread.join(timeout=120)


def assert_quotes_verify(index_dir: Path, answers: list[dict[str, Any]]) -> None:
    """Every quote and passage of every answer is the stored article's text at its offsets."""
    reader = Assistant(Settings(index_dir=index_dir))
    try:
        for answer in answers:
            for item in answer["quotes"] + answer["passages"]:
                text = reader.article(item["article_id"]).text
                assert text[item["start"] : item["end"]] == item["text"], item
    finally:
        reader.close()


def wait_for_answer(client: Client, n: int, timeout: float = 20.0) -> dict[str, Any]:
    """Ask about town `n` until its article is quoted (a server must see new articles within seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        result = client.predict(question_for(n), api_name="/ask")
        if result["quotes"] and result["quotes"][0]["article_id"].endswith(f"town-{n:02}.md"):
            return result
        assert time.monotonic() < deadline, f"town {n} not answered within {timeout} s: {result['answer']}"
        time.sleep(0.5)


# --- a Chroma server -------------------------------------------------------------------------------------------
class ChromaServer:
    """`chroma run` on a folder and port of its own; stopped and started again by the test."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("chroma run did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


@contextmanager
def chroma_running(path: Path) -> Iterator[ChromaServer]:
    """A `chroma run` server on `path` for the block (the test is skipped where the chroma CLI is missing)."""
    if not CHROMA.exists() and shutil.which("chroma") is None:
        pytest.skip("the chroma CLI is not installed")
    server = ChromaServer(path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def ask(page: Any, question: str) -> Any:
    """Type `question`, send it, and wait until its answer is complete; returns the answer's element."""
    messages = page.locator(".na-msg")
    before = messages.count()
    page.fill("#na-question textarea", question)
    page.press("#na-question textarea", "Enter")
    page.wait_for_function(
        """(before) => {
            const all = document.querySelectorAll('.na-msg');
            return all.length > before && !all[all.length - 1].querySelector('.na-pending, .na-streaming');
        }""",
        arg=before,
    )
    return messages.last


@dataclass
class KeyedServer:
    """A running `assistant serve --auth` and one API key for its routes for programs."""

    url: str
    index_dir: Path
    key: str

    def get(self, path: str, **params: str | list[str]) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.key}"}
        return httpx.get(self.url + path, params=params, headers=headers, timeout=120)

    def post(self, path: str, body: object) -> httpx.Response:
        return httpx.post(self.url + path, json=body, headers={"Authorization": f"Bearer {self.key}"}, timeout=120)

    def cli_json(self, *args: str) -> object:
        """`assistant ... --json` over the served index, as a subprocess."""
        command = cli(*args, "--json", "--index-dir", str(self.index_dir))
        done = subprocess.run(command, capture_output=True, text=True, env=cli_env(), cwd=REPO, timeout=300, check=True)
        return json.loads(done.stdout)


@contextmanager
def keyed_server(
    index_dir: Path, articles: list[Article], embeddings: Embedder, key_name: str
) -> Iterator[KeyedServer]:
    """`assistant serve --auth` as a subprocess over a new index of `articles`, with one API key named `key_name`."""
    from assistant.serve.api_keys import ApiKeys

    builder = Assistant(Settings(index_dir=index_dir), embeddings=embeddings)
    try:
        builder.index(articles)
    finally:
        builder.close()
    key = ApiKeys(index_dir / "keys.json").add(key_name)
    with serve_process(index_dir, "--auth") as server:
        yield KeyedServer(server.url, index_dir, key)


# --- MCP clients (the official ``mcp`` SDK) --------------------------------------------------------------------
MCP_TOOLS = frozenset(
    {"ask", "search", "article", "status", "index_urls", "stories", "story", "compare", "digest", "timeline"}
)
"""Every tool the archive offers over MCP, on stdio (`assistant mcp`) and on a served ``/mcp`` alike."""


@asynccontextmanager
async def mcp_over_stdio(index_dir: Path) -> AsyncIterator[McpClient]:
    """A client session with `assistant mcp` over `index_dir`, started as a desktop assistant starts it."""
    from mcp import Client, StdioServerParameters

    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "assistant.cli", "mcp", "--index-dir", str(index_dir)],
        env=cli_env(),
        cwd=str(REPO),
    )
    async with Client(server, read_timeout_seconds=300) as client:
        yield client


@asynccontextmanager
async def mcp_over_http(url: str, key: str | None, statuses: list[int] | None = None) -> AsyncIterator[McpClient]:
    """A client session with the server's ``/mcp`` at `url`, with `key` as its bearer (none without); the status of
    every HTTP response goes to `statuses`."""
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    seen = statuses if statuses is not None else []

    async def record(response: httpx2.Response) -> None:
        seen.append(response.status_code)

    headers = {"Authorization": f"Bearer {key}"} if key else {}
    http = httpx2.AsyncClient(headers=headers, timeout=120, event_hooks={"response": [record]})
    async with http, Client(streamable_http_client(url + "/mcp", http_client=http)) as client:
        yield client
