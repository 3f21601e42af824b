"""The chat on a network: a real server with logins, every route closed without one, validated input, and
uploads that leave nothing behind when refused."""

from __future__ import annotations

import re
import shutil
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr
import pytest
from fastapi.routing import _IncludedRouter as IncludedRouter
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from assistant import Assistant, Settings
from assistant.serve.access import PUBLIC_PATHS, PUBLIC_PREFIXES, is_api_path
from assistant.serve.api_keys import ApiKeys
from assistant.serve.chat_app import build_app, gradio_file_limit, launch
from assistant.serve.programs import program_routes
from assistant.serve.users import Users
from tests.helpers import CHROMIUM, MEDIATE, SEEDS
from tests.ports import free_port
from tests.samples import BUS

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting'"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

NAME, PASSWORD = "redaktion", "korrekt pferd batterie"
LIMITS = {"max_upload_bytes": 40_000, "max_upload_files": 3, "max_question_chars": 500, "max_top_k": 20}


@dataclass
class Guarded:
    url: str
    app: gr.Blocks
    assistant: Assistant
    uploads: Path
    key: str  # an API key for the routes for programs


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory, embeddings: Any) -> Iterator[Guarded]:
    """The real app on 127.0.0.1 with a login (as `assistant serve` on a network address), over the seed article."""
    root = tmp_path_factory.mktemp("exposure")
    shutil.copytree(SEEDS, root / "articles")
    settings = Settings(index_dir=root / "index", **LIMITS)
    users = Users(root / "users.json")
    users.add(NAME, PASSWORD)
    keys = ApiKeys(root / "keys.json")
    key = keys.add("exposure")
    assistant = Assistant(settings, embeddings=embeddings)
    assistant.index([root / "articles"])
    app = build_app(assistant)
    login = {"auth": users.verify, "sessions": users.fingerprint, "keys": keys.name_for}  # as `assistant serve`
    programs = program_routes(assistant, gated=True)  # the JSON API, /v1 and /mcp on the same server
    limit = gradio_file_limit(settings)
    url = launch(app, "127.0.0.1", free_port(), block=False, **login, programs=programs, max_file_size=limit)
    try:
        yield Guarded(url, app, assistant, root / "index" / "uploads", key)
    finally:
        app.close()
        assistant.close()


@pytest.fixture(scope="module")
def client(guarded: Guarded) -> Client:
    return Client(guarded.url, auth=(NAME, PASSWORD), verbose=False)


def status_of(
    url: str, method: str = "GET", data: bytes | None = None, cookie: str | None = None, key: str | None = None
) -> int:
    request = urllib.request.Request(url, method=method, data=data)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if cookie:
        request.add_header("Cookie", cookie)
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def concrete(path: str) -> str:
    """A route's path with every parameter filled in (``{session_hash}`` -> ``x``)."""
    return re.sub(r"\{[^}]+\}", "x", path)


# --------------------------------------------------------------------------- without a login


def server_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """Every (path, methods) the server answers, routers included (FastAPI keeps those as nested routers)."""
    for route in routes:
        if isinstance(route, IncludedRouter):
            yield from server_routes(route.original_router.routes, prefix + route.include_context.prefix)
        else:
            yield (prefix + getattr(route, "path", "")) or "/", set(getattr(route, "methods", None) or {"GET"})


@pytest.mark.slow
def test_every_route_refuses_without_a_login(guarded: Guarded) -> None:
    """Not only Gradio's protected routes: every route the server has, except the login page and its files."""
    checked = []
    for path, methods in server_routes(guarded.app.server_app.routes):
        if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            continue
        for method in sorted(methods - {"HEAD"}):
            body = b"{}" if method in {"POST", "PUT", "PATCH", "DELETE"} else None
            checked.append((method, path, status_of(guarded.url + concrete(path), method, body)))
    assert len(checked) > 40
    assert [entry for entry in checked if entry[2] != 401] == []
    named = {path for _, path, _ in checked}
    for must in (
        "/config",
        "/gradio_api/info",
        "/gradio_api/call/{api_name}",
        "/gradio_api/upload",
        "/gradio_api/queue/join",
        "/gradio_api/cancel",
        "/gradio_api/heartbeat/{session_hash}",
        "/api/ask",
        "/api/articles/{article_id:path}",
        "/api/index",
        "/api/stories",
        "/api/stories/{story_id}",
        "/api/compare",
        "/api/digest",
        "/api/timeline",
        "/v1/chat/completions",
        "/mcp",
    ):
        assert must in named


@pytest.mark.slow
def test_a_key_opens_every_route_for_programs_and_no_other(guarded: Guarded) -> None:
    """Every route of the server walked with an API key: the ones for programs answer (their own 4xx for the
    empty bodies sent here, never 401), every other one still wants a login."""
    opened, closed = [], []
    for path, methods in server_routes(guarded.app.server_app.routes):
        if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            continue
        for method in sorted(methods - {"HEAD"}):
            body = b"{}" if method in {"POST", "PUT", "PATCH", "DELETE"} else None
            status = status_of(guarded.url + concrete(path), method, body, key=guarded.key)
            (opened if is_api_path(path) else closed).append((method, path, status))
    assert {path for _, path, _ in opened} >= {
        "/api/stories",
        "/api/stories/{story_id}",
        "/api/compare",
        "/api/digest",
        "/api/timeline",
    }
    assert len(opened) >= 13 and [entry for entry in opened if entry[2] in (401, 500)] == []
    assert [entry for entry in closed if entry[2] != 401] == []
    assert status_of(guarded.url + "/api/status", key=guarded.key + "x") == 401


@pytest.mark.slow
def test_the_named_endpoints_refuse_without_a_login(guarded: Guarded) -> None:
    for path in ("/config", "/gradio_api/info", "/gradio_api/openapi.json", "/gradio_api/app_id"):
        assert status_of(guarded.url + path) == 401, path
    for name in ("ask", "status", "upload"):
        assert status_of(f"{guarded.url}/gradio_api/call/{name}", "POST", b'{"data": []}') == 401, name
    with pytest.raises(Exception, match=r"(?i)login|auth|401"):
        Client(guarded.url, verbose=False)


@pytest.mark.slow
def test_the_page_shows_only_the_login_form(guarded: Guarded) -> None:
    with urllib.request.urlopen(guarded.url + "/", timeout=30) as response:
        page = response.read().decode()
    assert '"auth_required":true' in page.replace(" ", "")
    assert "Wer sollte die Gespräche vermitteln" not in page  # the chat's examples are the page's data
    assert "na-upload" not in page


@pytest.mark.slow
def test_a_wrong_password_or_unknown_name_gets_no_session(guarded: Guarded) -> None:
    for auth in ((NAME, "falsch falsch"), ("niemand", PASSWORD), (NAME, "")):
        with pytest.raises(Exception, match=r"(?i)credentials|login"):
            Client(guarded.url, auth=auth, verbose=False)


# --------------------------------------------------------------------------- with a login


@pytest.mark.slow
def test_with_a_login_every_endpoint_works(guarded: Guarded, client: Client, tmp_path: Path) -> None:
    result = client.predict(MEDIATE, api_name="/ask")
    assert result["quotes"] and not result["abstained"]
    assert client.predict(api_name="/status")["articles"] == guarded.assistant.status().articles
    upload = tmp_path / f"bus-{uuid.uuid4().hex[:8]}.txt"
    upload.write_text(BUS, encoding="utf-8")
    report, *_ = client.predict([handle_file(str(upload))], api_name="/upload")
    assert "added" in report and (guarded.uploads / upload.name).exists()


# --------------------------------------------------------------------------- input validation over HTTP


@pytest.mark.slow
@pytest.mark.parametrize(
    ("k", "message"),
    [
        (10**9, "from 1 to 20"),
        (-1, "from 1 to 20"),
        (0, "from 1 to 20"),
        (10**30, "from 1 to 20"),
        ("abc", "whole number"),
        (2.5, "whole number"),
        (True, "whole number"),
    ],
)
def test_ask_refuses_k_out_of_range_or_not_a_number(client: Client, k: object, message: str) -> None:
    with pytest.raises(AppError, match=message):
        client.predict(MEDIATE, k, api_name="/ask")


@pytest.mark.slow
def test_ask_takes_k_up_to_the_maximum(client: Client) -> None:
    assert len(client.predict(MEDIATE, 20.0, api_name="/ask")["passages"]) <= 20


@pytest.mark.slow
def test_ask_refuses_a_long_question_at_once(client: Client) -> None:
    started = time.perf_counter()
    with pytest.raises(AppError, match="at most 500"):
        client.predict("Wer? " * 200_000, api_name="/ask")  # 1 MB
    assert time.perf_counter() - started < 10  # refused, not embedded; a generous bound against a stuck server


@pytest.mark.slow
def test_ask_refuses_sources_that_are_not_a_list_of_names(client: Client) -> None:
    with pytest.raises(AppError, match="list of source names"):
        client.predict(MEDIATE, 3, "Reuters", api_name="/ask")
    with pytest.raises(AppError, match="each source"):
        client.predict(MEDIATE, 3, [1, 2], api_name="/ask")
    with pytest.raises(AppError, match="kein Datum"):
        client.predict(MEDIATE, api_name="/ask", published_from=20240101)


# --------------------------------------------------------------------------- uploads


def gradio_copies(name: str) -> list[Path]:
    """Files of this name anywhere in Gradio's upload folder."""
    return list(Path(gr.utils.get_upload_folder()).glob(f"*/{name}"))


def report_rows(report: str) -> list[tuple[str, str, str]]:
    return re.findall(r"data-status='(\w+)'><div class='na-file'>([^<]+)</div>(.*?)</div>", report)


@pytest.mark.slow
def test_a_too_large_upload_is_refused_and_removed_everywhere(guarded: Guarded, client: Client, tmp_path: Path) -> None:
    big = tmp_path / f"gross-{uuid.uuid4().hex[:8]}.txt"
    big.write_text("Ein Satz über den Stadtrat. " * 2000, encoding="utf-8")  # 56 kB > 40 kB, < Gradio's 80 kB
    report, *_ = client.predict([handle_file(str(big))], api_name="/upload")
    [(status, name, detail)] = report_rows(report)
    assert (status, name) == ("refused", big.name)
    assert "0.1 MB" in detail and "ASSISTANT_MAX_UPLOAD_BYTES" in detail
    assert not (guarded.uploads / big.name).exists()
    assert gradio_copies(big.name) == []


@pytest.mark.slow
def test_an_upload_above_gradios_limit_never_lands(guarded: Guarded, client: Client, tmp_path: Path) -> None:
    huge = tmp_path / f"riesig-{uuid.uuid4().hex[:8]}.txt"
    huge.write_bytes(b"x" * 100_000)
    with pytest.raises(Exception, match=r"(?i)size|large|413"):
        client.predict([handle_file(str(huge))], api_name="/upload")
    assert not (guarded.uploads / huge.name).exists()
    assert gradio_copies(huge.name) == []


@pytest.mark.slow
def test_files_beyond_the_count_limit_are_refused(guarded: Guarded, client: Client, tmp_path: Path) -> None:
    files = []
    for number in range(4):
        path = tmp_path / f"notiz-{number}-{uuid.uuid4().hex[:6]}.md"
        path.write_text(f"# Notiz {number}\n\nDer Stadtrat beschließt Maßnahme Nummer {number} für die Stadt.\n")
        files.append(path)
    report, *_ = client.predict([handle_file(str(f)) for f in files], api_name="/upload")
    rows = report_rows(report)
    assert [status for status, _, _ in rows] == ["added", "added", "added", "refused"]
    assert "only 3 files per upload" in rows[3][2]
    assert not (guarded.uploads / files[3].name).exists()
    assert all(gradio_copies(f.name) == [] for f in files)  # accepted ones live on in uploads/ only


@pytest.mark.slow
def test_a_refused_upload_leaves_nothing_and_a_refused_replacement_keeps_the_article(
    guarded: Guarded, client: Client, tmp_path: Path
) -> None:
    name = f"leer-{uuid.uuid4().hex[:8]}.txt"
    (tmp_path / name).write_text("", encoding="utf-8")
    report, *_ = client.predict([handle_file(str(tmp_path / name))], api_name="/upload")
    assert report_rows(report)[0][0] == "refused"
    assert not (guarded.uploads / name).exists() and gradio_copies(name) == []

    (tmp_path / name).write_text(BUS.replace("Musterstadt", "Beispielstadt"), encoding="utf-8")
    report, *_ = client.predict([handle_file(str(tmp_path / name))], api_name="/upload")
    assert report_rows(report)[0][0] == "added"
    (tmp_path / name).write_text("", encoding="utf-8")  # a broken new version of the same file
    report, *_ = client.predict([handle_file(str(tmp_path / name))], api_name="/upload")
    assert report_rows(report)[0][0] == "refused"
    assert "Beispielstadt" in (guarded.uploads / name).read_text(encoding="utf-8")  # the previous file is back
    assert guarded.assistant.article(f"index/uploads/{name}").text.count("Beispielstadt")
    assert [p.name for p in guarded.uploads.iterdir() if p.name.startswith(".")] == []


# --------------------------------------------------------------------------- in a browser


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_the_browser_shows_a_login_then_the_chat(guarded: Guarded, page: Page) -> None:
    """The gate lets the login page work: a wrong password is refused, the right one opens the chat."""
    page.goto(guarded.url, wait_until="domcontentloaded")
    page.wait_for_selector("input[type=password]")
    assert page.locator("#na-question").count() == 0
    log_in(page, NAME, "falsch falsch")
    page.wait_for_selector("text=/Falsche Anmeldedaten|Incorrect credentials/i")
    log_in(page, NAME, PASSWORD)
    page.wait_for_selector("#na-question textarea")
    page.wait_for_selector("#na-status .na-status")
    page.fill("#na-question textarea", MEDIATE)
    page.press("#na-question textarea", "Enter")
    page.wait_for_selector(".na-source mark")


def log_in(page: Any, name: str, password: str) -> None:
    page.fill("input[type=text]", name)
    page.fill("input[type=password]", password)
    page.press("input[type=password]", "Enter")
