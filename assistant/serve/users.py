"""Who may log in to the chat: names with scrypt password hashes in one JSON file (never a password).

The file is read on every login and every request of a session, so ``assistant users add/remove`` take effect on
a running server, for sessions already logged in too; it is written atomically with mode 0600. Each entry has
its own random salt; checks compare in constant time and spend the same work on unknown names, so timing does
not tell which names exist.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
import secrets
from pathlib import Path

from assistant.errors import UsersFileError
from assistant.serve.private_files import locked, write_private_json
from assistant.settings import Settings

USERS_FILE = "users.json"
NAME_PATTERN = re.compile(r"[\w.@+-]{1,64}")
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024
SCRYPT: dict[str, int] = {"n": 2**14, "r": 8, "p": 1}
"""scrypt cost (16 MiB, ~50 ms per check): slow for guessing, quick enough for a login."""


def users_path(settings: Settings) -> Path:
    """``ASSISTANT_USERS_FILE``, else ``users.json`` in the index directory."""
    return Path(settings.users_file) if settings.users_file else Path(settings.index_dir) / USERS_FILE


def _hash(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)


class Users:
    """The users file: `add`, `remove`, `names` for the CLI, `verify` as the chat's login check."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._dummy: dict[str, str | int] = {"salt": secrets.token_hex(16), "hash": "00" * 32, **SCRYPT}

    def names(self) -> list[str]:
        return sorted(self._read())

    def add(self, name: str, password: str) -> bool:
        """Store `name` with a new salt and hash of `password`; True when an existing user's password changed."""
        check_name(name)
        check_password(password)
        salt = secrets.token_bytes(16)
        entry: dict[str, str | int] = {"salt": salt.hex(), "hash": _hash(password, salt, **SCRYPT).hex(), **SCRYPT}
        with self._locked():
            users = self._read()
            replaced = name in users
            users[name] = entry
            self._write(users)
        return replaced

    def remove(self, name: str) -> None:
        with self._locked():
            users = self._read()
            if name not in users:
                raise UsersFileError(f"no user {name!r} in {self.path} (see `assistant users list`)")
            del users[name]
            self._write(users)

    def verify(self, name: str, password: str) -> bool:
        """True when `password` is `name`'s; never raises (a broken file refuses everyone)."""
        try:
            entry = self._read().get(name)
        except UsersFileError:
            entry = None
        candidate = entry or self._dummy
        try:
            salt, digest, n, r, p = (candidate[key] for key in ("salt", "hash", "n", "r", "p"))
            if not (isinstance(salt, str) and isinstance(digest, str)):
                return False
            if not (isinstance(n, int) and isinstance(r, int) and isinstance(p, int)):
                return False
            computed = _hash(password, bytes.fromhex(salt), n, r, p)
            return hmac.compare_digest(computed, bytes.fromhex(digest)) and entry is not None
        except (KeyError, TypeError, ValueError):
            return False

    def fingerprint(self, name: str) -> str | None:
        """What a session of `name` stays valid with: the salt of its password, new with every `add` (None: no
        such user, or a broken file). The chat's gate asks on every request, so removing a user or changing
        the password ends the sessions already logged in, on a running server."""
        try:
            entry = self._read().get(name)
        except UsersFileError:
            return None
        salt = entry.get("salt") if isinstance(entry, dict) else None
        return salt if isinstance(salt, str) else None

    # --- the file ----------------------------------------------------------------------------
    def _read(self) -> dict[str, dict[str, str | int]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise UsersFileError(f"cannot read the users file {self.path}: {error}") from error
        users = data.get("users") if isinstance(data, dict) else None
        if not isinstance(users, dict):
            raise UsersFileError(f"the users file {self.path} is not in the expected format")
        return users

    def _write(self, users: dict[str, dict[str, str | int]]) -> None:
        write_private_json(self.path, {"version": 1, "users": users})

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        """One writer at a time: two `users add` at once must not lose one of the users."""
        return locked(self.path)


def check_name(name: str) -> None:
    if not NAME_PATTERN.fullmatch(name):
        raise UsersFileError(f"a user name is 1 to 64 letters, digits or . _ @ + -, got {name[:70]!r}")


def check_password(password: str) -> None:
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise UsersFileError(
            f"a password needs {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters, this one has {len(password)}"
        )
