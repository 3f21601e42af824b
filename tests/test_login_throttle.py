"""Brakes on password guessing at the chat's login: a real users file (scrypt), a clock the test moves, and the
real `assistant serve --auth` for the end-to-end case."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from assistant.serve.login_brake import FORGET_AFTER, LoginThrottle
from assistant.serve.users import Users
from tests.helpers import serve_process, users_cli

PASSWORD = "korrekt pferd batterie"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def users(tmp_path: Path) -> Users:
    users = Users(tmp_path / "users.json")
    users.add("anna", PASSWORD)
    users.add("bert", PASSWORD)
    return users


def fail(throttle: LoginThrottle, name: str, times: int) -> None:
    for _ in range(times):
        assert not throttle(name, "falsch falsch")


def test_after_five_failures_a_name_waits_longer_after_each_and_the_right_password_resets(users: Users) -> None:
    clock = Clock()
    throttle = LoginThrottle(users.verify, clock=clock)
    fail(throttle, "anna", 5)
    assert throttle.wait_for("anna") == 1.0
    assert not throttle("anna", PASSWORD)  # refused unchecked while it waits, the right password too
    assert throttle("bert", PASSWORD)  # other names are not held up
    clock.now += 1.0
    fail(throttle, "anna", 1)
    assert throttle.wait_for("anna") == 2.0
    clock.now += 2.0
    fail(throttle, "anna", 1)
    assert throttle.wait_for("anna") == 4.0
    clock.now += 4.0
    assert throttle("anna", PASSWORD)
    assert throttle.wait_for("anna") == 0.0
    fail(throttle, "anna", 5)  # counted from zero again
    assert throttle.wait_for("anna") == 1.0


def test_the_wait_is_capped_and_an_old_count_is_forgotten(users: Users) -> None:
    clock = Clock()
    throttle = LoginThrottle(users.verify, clock=clock, max_delay=60.0)
    for _ in range(15):
        fail(throttle, "anna", 1)
        clock.now += throttle.wait_for("anna")
    fail(throttle, "anna", 1)
    assert throttle.wait_for("anna") == 60.0
    clock.now += FORGET_AFTER + 1
    fail(throttle, "anna", 1)
    assert throttle.wait_for("anna") == 0.0


def test_random_names_do_not_fill_the_memory(users: Users) -> None:
    throttle = LoginThrottle(users.verify, max_names=3, free_failures=1, clock=Clock())
    for n in range(20):
        fail(throttle, f"niemand{n}", 1)
    assert [throttle.wait_for(f"niemand{n}") > 0 for n in (0, 16, 17, 18, 19)] == [False, False, True, True, True]


def test_a_flood_is_refused_at_once_rather_than_queued(users: Users) -> None:
    """While as many checks run as allowed, another attempt is refused without a check (it would hold a thread)."""
    started, release = threading.Event(), threading.Event()

    def slow_verify(name: str, password: str) -> bool:
        started.set()
        release.wait(timeout=30)
        return users.verify(name, password)

    throttle = LoginThrottle(slow_verify, concurrent=1)
    results: list[bool] = []
    running = threading.Thread(target=lambda: results.append(throttle("anna", PASSWORD)))
    running.start()
    assert started.wait(timeout=30)
    began = time.monotonic()
    assert not throttle("bert", PASSWORD)
    assert time.monotonic() - began < 1.0  # refused at once, not after the running check
    release.set()
    running.join(timeout=30)
    assert results == [True]
    assert throttle("bert", PASSWORD)  # the slot is free again


@pytest.mark.slow
def test_the_served_login_refuses_guesses_after_five_failures(tmp_path: Path) -> None:
    """The real command: five wrong passwords, then the right one is refused for a second, then accepted."""
    users_cli(tmp_path, "add", "anna", "--password-stdin", password=PASSWORD)
    with serve_process(tmp_path, "--auth") as server:
        url = server.url

        def login(password: str) -> tuple[int, str]:
            response = httpx.post(f"{url}/login", data={"username": "anna", "password": password}, timeout=30)
            return response.status_code, response.json().get("detail", "")

        assert [login("falsch falsch") for _ in range(5)] == [(400, "Incorrect credentials.")] * 5
        right, wrong = login(PASSWORD), login("falsch falsch")  # within the second the sixth attempt must wait
        assert right == wrong  # the refusal says nothing of the password
        assert right[0] == 429 and "must wait 1 s before a password is checked again" in right[1]
        assert "muss 1 s warten" in right[1]
        time.sleep(1.2)
        assert login(PASSWORD)[0] == 200
