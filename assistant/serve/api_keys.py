"""Keys for programs: ``Authorization: Bearer KEY`` on the JSON API, the OpenAI-compatible endpoint and MCP.

A key is 256 random bits, shown once by ``assistant keys add NAME`` and stored only as its SHA-256. A slow hash
(scrypt, as for passwords) protects what people choose and can be guessed; a key nobody chose cannot be guessed
whichever hash stands in the file, and a fast hash lets every API request be checked in microseconds instead of
50 ms of scrypt (which would also make each request a lever for exhausting the CPU).

The file sits beside the users file (``keys.json``), mode 0600, written atomically; a running server re-reads it
when it changes (size, time or inode), so a removed key stops working at the next request.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import UsersFileError
from assistant.serve.private_files import locked, write_private_json
from assistant.serve.users import NAME_PATTERN, users_path
from assistant.settings import Settings

KEYS_FILE = "keys.json"
KEY_PREFIX = "na-"
"""Marks the assistant's keys in logs and secret scanners (``na-`` + 43 URL-safe characters)."""
MAX_KEY_CHARS = 200


class KeysFileError(UsersFileError):
    """Raised when the keys file cannot be read or changed (invalid name, unknown key, ...)."""


def keys_path(settings: Settings) -> Path:
    """``keys.json`` beside the users file (the index directory unless ``ASSISTANT_USERS_FILE`` says otherwise)."""
    return users_path(settings).with_name(KEYS_FILE)


@dataclass(frozen=True)
class KeyEntry:
    name: str
    created: float  # Unix time
    hint: str  # the key's first characters, to tell keys apart in `keys list` (not enough to guess the rest)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ApiKeys:
    """The keys file: `add`, `remove`, `entries` for the CLI, `name_for` as the servers' check."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._cache: tuple[tuple[int, int, int], dict[str, dict[str, str | float]]] | None = None
        self._cache_lock = threading.Lock()

    def entries(self) -> list[KeyEntry]:
        keys = self._read()
        return [
            KeyEntry(name, float(keys[name].get("created", 0)), str(keys[name].get("hint", "")))
            for name in sorted(keys)
        ]

    def names(self) -> list[str]:
        return sorted(self._read())

    def add(self, name: str) -> str:
        """A new key for `name` (replacing its old one, which stops working); returns the key, never stored."""
        if not NAME_PATTERN.fullmatch(name):
            raise KeysFileError(f"a key name is 1 to 64 letters, digits or . _ @ + -, got {name[:70]!r}")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with self._locked():
            keys = self._read()
            keys[name] = {"sha256": _digest(key), "created": round(time.time(), 3), "hint": key[: len(KEY_PREFIX) + 4]}
            self._write(keys)
        return key

    def remove(self, name: str) -> None:
        with self._locked():
            keys = self._read()
            if name not in keys:
                raise KeysFileError(f"no key named {name!r} in {self.path} (see `assistant keys list`)")
            del keys[name]
            self._write(keys)

    def name_for(self, key: str) -> str | None:
        """The name of the key `key` (None: unknown, removed, or a broken file); never raises."""
        if not key or len(key) > MAX_KEY_CHARS:
            return None
        try:
            keys = self._current()
        except UsersFileError:
            return None
        wanted = _digest(key)
        found = None
        for name, entry in keys.items():  # every entry compared in constant time: no early exit to time
            if hmac.compare_digest(str(entry.get("sha256", "")), wanted):
                found = name
        return found

    # --- the file ----------------------------------------------------------------------------
    def _current(self) -> dict[str, dict[str, str | float]]:
        """The keys as the file holds them now, read again only when it changed (one `stat` per request)."""
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise KeysFileError(f"cannot read the keys file {self.path}: {error}") from error
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        with self._cache_lock:
            if self._cache is not None and self._cache[0] == stamp:
                return self._cache[1]
        keys = self._read()
        with self._cache_lock:
            self._cache = (stamp, keys)
        return keys

    def _read(self) -> dict[str, dict[str, str | float]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise KeysFileError(f"cannot read the keys file {self.path}: {error}") from error
        keys = data.get("keys") if isinstance(data, dict) else None
        if not isinstance(keys, dict) or not all(isinstance(entry, dict) for entry in keys.values()):
            raise KeysFileError(f"the keys file {self.path} is not in the expected format")
        return keys

    def _write(self, keys: dict[str, dict[str, str | float]]) -> None:
        write_private_json(self.path, {"version": 1, "keys": keys})

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        """One writer at a time: two `keys add` at once must not lose one of the keys."""
        return locked(self.path)


def bearer_key(authorization: str | None) -> str | None:
    """The key of an ``Authorization: Bearer KEY`` header (None: no header, or another scheme)."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None
