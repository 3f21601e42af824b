"""A user's last visit of the chat, for "Was ist neu seit meinem letzten Besuch?".

One ``visit`` record per user in the per-user store (`user_store`: the index folder's ``user_records.sqlite`` or
the Chroma server's collection), replaced whole when a page is opened: the page keeps the visit before its own
(read first), so a question asked while it is open means "since I was here before this page". Two pages opened
at once each keep the one before them; a crash leaves the record whole (one put).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

import gradio as gr

from assistant.core import Assistant
from assistant.errors import AssistantError
from assistant.serve.conversations import LOCAL_USER
from assistant.serve.user_store import UserRecord, UserStore, user_store_for

log = logging.getLogger(__name__)

VISIT = "visit"


class Visits:
    """The last visits of the users of one archive."""

    def __init__(self, assistant: Assistant, store: UserStore | None = None) -> None:
        self.assistant = assistant
        self._store = store  # opened at the first visit when not given (the archive's own storage)
        self._lock = threading.Lock()

    def store(self) -> UserStore:
        with self._lock:
            if self._store is None:
                self._store = user_store_for(self.assistant)
            return self._store

    def last(self, user: str) -> float | None:
        """When `user` last opened the page (None: never, as far as the store knows)."""
        found = [record.at for record in self.store().records(user, kind=VISIT)]
        return max(found) if found else None

    def arrive(self, user: str, now: float | None = None) -> float | None:
        """Keep this visit and return the one before it."""
        before = self.last(user)
        stamp = time.time() if now is None else now
        self.store().put(UserRecord(user, VISIT, VISIT, VISIT, stamp, {}))
        return before

    def on_load(self, request: gr.Request | None) -> float | None:
        """The page's load event: this visit is kept, the one before goes into the page's state (a store that
        fails costs the "since my last visit" answer only, never the page)."""
        try:
            return self.arrive(user_of(request))
        except (AssistantError, OSError, sqlite3.Error) as error:
            log.warning("the visit could not be kept: %s", error)
            return None


def user_of(request: gr.Request | None) -> str:
    """The login's name, else the one local user."""
    name = request.username if request is not None else None
    return name if isinstance(name, str) and name else LOCAL_USER
