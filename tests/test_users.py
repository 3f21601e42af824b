"""Who may log in: the users file (hashed, 0600, atomic), the `assistant users` commands, and the decision
`assistant serve` makes from the address it listens on."""

from __future__ import annotations

import io
import json
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Settings
from assistant.cli import main
from assistant.errors import ExposureError, UsersFileError
from assistant.serve.access import decide_access, is_loopback, off_the_event_loop
from assistant.serve.users import Users, users_path
from tests.helpers import Server, serve_process, users_cli

PASSWORD = "korrekt pferd batterie"


def test_entries_are_salted_hashes_never_the_password(tmp_path: Path) -> None:
    users = Users(tmp_path / "users.json")
    users.add("anna", PASSWORD)
    users.add("ben", PASSWORD)
    text = (tmp_path / "users.json").read_text()
    assert PASSWORD not in text and PASSWORD.encode().hex() not in text
    entries = json.loads(text)["users"]
    assert entries["anna"]["salt"] != entries["ben"]["salt"]
    assert entries["anna"]["hash"] != entries["ben"]["hash"]  # same password, different salt


def test_verify_accepts_only_the_right_password(tmp_path: Path) -> None:
    users = Users(tmp_path / "users.json")
    users.add("anna", PASSWORD)
    assert users.verify("anna", PASSWORD)
    assert not users.verify("anna", PASSWORD + " ")
    assert not users.verify("anna", "")
    assert not users.verify("niemand", PASSWORD)
    assert users.add("anna", "ein anderes passwort") is True  # a changed password replaces the old one
    assert not users.verify("anna", PASSWORD) and users.verify("anna", "ein anderes passwort")


def test_the_file_is_private_and_written_whole(tmp_path: Path) -> None:
    users = Users(tmp_path / "sub" / "users.json")
    users.add("anna", PASSWORD)
    assert stat.S_IMODE((tmp_path / "sub" / "users.json").stat().st_mode) == 0o600
    threads = [threading.Thread(target=users.add, args=(f"user{n}", PASSWORD)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert users.names() == ["anna"] + [f"user{n}" for n in range(6)]  # no add lost to another
    assert sorted(p.name for p in (tmp_path / "sub").iterdir() if "tmp" in p.name) == []


def test_remove_and_bad_names_and_passwords(tmp_path: Path) -> None:
    users = Users(tmp_path / "users.json")
    users.add("anna", PASSWORD)
    users.remove("anna")
    assert users.names() == [] and not users.verify("anna", PASSWORD)
    with pytest.raises(UsersFileError, match="no user 'anna'"):
        users.remove("anna")
    for name in ("", "an na", "a/b", "x" * 65, "anna\n"):
        with pytest.raises(UsersFileError, match="user name"):
            users.add(name, PASSWORD)
    with pytest.raises(UsersFileError, match="8 to 1024"):
        users.add("anna", "kurz")


def test_a_broken_file_refuses_everyone_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "users.json").write_text("{not json")
    users = Users(tmp_path / "users.json")
    assert not users.verify("anna", PASSWORD)
    with pytest.raises(UsersFileError, match="cannot read the users file"):
        users.names()


def test_the_file_lives_in_the_index_or_where_the_setting_says(tmp_path: Path) -> None:
    assert users_path(Settings(index_dir=tmp_path / "idx")) == tmp_path / "idx" / "users.json"
    assert (
        users_path(Settings(index_dir=tmp_path, users_file=tmp_path / "etc" / "u.json")) == tmp_path / "etc" / "u.json"
    )


def test_the_setting_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_USERS_FILE", str(tmp_path / "elsewhere.json"))
    assert users_path(Settings(index_dir=tmp_path)) == tmp_path / "elsewhere.json"


# --------------------------------------------------------------------------- the commands


def run(argv: list[str], monkeypatch: pytest.MonkeyPatch, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_users_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    where = ["--index-dir", str(tmp_path)]
    assert run(["users", "add", "anna", "--password-stdin", *where], monkeypatch, PASSWORD + "\n")[0] == 0
    code, out, _ = run(["users", "list", "--json", *where], monkeypatch)
    assert (code, json.loads(out)) == (0, ["anna"])
    assert Users(tmp_path / "users.json").verify("anna", PASSWORD)
    assert run(["users", "remove", "anna", *where], monkeypatch)[0] == 0
    code, _, err = run(["users", "remove", "anna", *where], monkeypatch)
    assert code == 1 and "no user 'anna'" in err
    code, _, err = run(["users", "add", *where], monkeypatch)
    assert code == 1 and "needs a NAME" in err


def test_users_add_asks_twice_without_echo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code, _, err = run(["users", "add", "anna", "--index-dir", str(tmp_path)], monkeypatch)
    assert code == 1 and "differ" in err and not (tmp_path / "users.json").exists()
    answers = iter([PASSWORD, PASSWORD])
    assert run(["users", "add", "anna", "--index-dir", str(tmp_path)], monkeypatch)[0] == 0
    assert Users(tmp_path / "users.json").verify("anna", PASSWORD)


# --------------------------------------------------------------------------- the exposure decision


def test_loopback_addresses() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "example.org", ""]))


def test_on_loopback_nothing_changes(tmp_path: Path) -> None:
    assert decide_access("127.0.0.1", Users(tmp_path / "users.json")).auth is None


def test_a_network_address_without_users_refuses_to_start(tmp_path: Path) -> None:
    for host in ("0.0.0.0", "192.168.1.20", "::"):
        with pytest.raises(ExposureError, match="assistant users add NAME"):
            decide_access(host, Users(tmp_path / "users.json"))
    with pytest.raises(ExposureError, match="--auth was given"):
        decide_access("127.0.0.1", Users(tmp_path / "users.json"), require_auth=True)


def test_a_network_address_with_users_requires_their_login(tmp_path: Path) -> None:
    users = Users(tmp_path / "users.json")
    users.add("anna", PASSWORD)
    access = decide_access("0.0.0.0", users)
    assert access.auth is not None and access.warning is None
    assert access.auth("anna", PASSWORD) and not access.auth("anna", "falsch falsch")
    assert decide_access("127.0.0.1", users, require_auth=True).auth is not None


def test_the_login_check_runs_off_the_event_loop(tmp_path: Path) -> None:
    import asyncio
    import inspect

    users = Users(tmp_path / "users.json")
    users.add("anna", PASSWORD)
    check = off_the_event_loop(users.verify)
    assert inspect.iscoroutinefunction(check)  # Gradio awaits it instead of calling it in its loop
    assert asyncio.run(check("anna", PASSWORD)) and not asyncio.run(check("anna", "falsch falsch"))


def test_no_auth_serves_openly_with_a_warning(tmp_path: Path) -> None:
    access = decide_access("0.0.0.0", Users(tmp_path / "users.json"), no_auth=True)
    assert access.auth is None and "WARNING" in access.warning and "without authentication" in access.warning


def test_serve_on_a_network_address_without_users_exits_with_the_way_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(["serve", "--host", "0.0.0.0", "--index-dir", str(tmp_path)], monkeypatch)
    assert code == 1 and out == ""
    assert "assistant users add NAME" in err and "--no-auth" in err
    assert not any(tmp_path.iterdir())  # refused before anything was created


def asks_for_login(url: str, cookies: dict[str, str]) -> bool:
    """Whether the page at `url`, opened with these session cookies, is the login form."""
    import httpx

    return '"auth_required":true' in httpx.get(url + "/", cookies=cookies, timeout=30).text.replace(" ", "")


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Server]]:
    """One real `assistant serve --auth` on 127.0.0.1 (as behind a reverse proxy) for this module's served tests,
    with users added by the CLI before it started: anna (the login test), bert and carl (the test that changes
    them on the running server)."""
    index_dir = tmp_path_factory.mktemp("users-served")
    for name in ("anna", "bert", "carl"):
        users_cli(index_dir, "add", name, "--password-stdin", password=PASSWORD)
    with serve_process(index_dir, "--auth") as server:
        yield index_dir, server


def test_serve_with_auth_needs_a_login_that_the_client_can_give(auth_server: tuple[Path, Server]) -> None:
    """The real command: `--auth` on 127.0.0.1 (as behind a reverse proxy) with a user added by the CLI."""
    from gradio_client import Client

    url = auth_server[1].url
    with pytest.raises(Exception, match=r"(?i)login|auth|401"):
        Client(url, verbose=False)
    status = Client(url, auth=("anna", PASSWORD), verbose=False).predict(api_name="/status")
    assert status["articles"] == 0


def test_removing_a_user_or_changing_a_password_ends_sessions_on_a_running_server(
    auth_server: tuple[Path, Server],
) -> None:
    """Real processes: the chat keeps running while `assistant users` removes one user and gives another a new
    password; both sessions end at their next request (Gradio alone kept them until a restart), and the new
    password logs in."""
    from gradio_client import Client

    index_dir, server = auth_server
    url = server.url
    carl = Client(url, auth=("carl", PASSWORD), verbose=False)
    bert = Client(url, auth=("bert", PASSWORD), verbose=False)
    assert carl.predict(api_name="/status")["articles"] == 0 and bert.predict(api_name="/status")
    assert not asks_for_login(url, carl.cookies)
    users_cli(index_dir, "remove", "carl")
    users_cli(index_dir, "add", "bert", "--password-stdin", password="ein neues passwort")
    assert asks_for_login(url, carl.cookies)  # the page itself, not only the API: the login form again
    for ended in (carl, bert):
        with pytest.raises(Exception, match=r"(?i)401|auth|login"):
            ended.predict(api_name="/status")
    with pytest.raises(Exception, match=r"(?i)credentials|login"):
        Client(url, auth=("bert", PASSWORD), verbose=False)
    again = Client(url, auth=("bert", "ein neues passwort"), verbose=False)
    assert again.predict(api_name="/status")["articles"] == 0
