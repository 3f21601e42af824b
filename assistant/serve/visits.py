"""A user's last visit of the chat, for "Was ist neu seit meinem letzten Besuch?".

A visit is a stretch of page openings less than `SAME_VISIT` apart: a reload, or the page opened again within
the hour, is still this visit, so "since my last visit" keeps meaning the visit before (when the user was last
here), not the page opened a minute ago. One ``visit`` record per user in the per-user store (`user_store`: the
index folder's ``user_records.sqlite`` or the Chroma server's collection), replaced whole at each opening with
its time and the visit before; a crash leaves the record whole (one put).
"""

from __future__ import annotations

import logging
import sqlite3
import time

import gradio as gr

from assistant.core import Assistant
from assistant.errors import AssistantError
from assistant.serve.conversations import LOCAL_USER
from assistant.serve.user_store import UserRecord, UserStore, user_store_for

log = logging.getLogger(__name__)

VISIT = "visit"
SAME_VISIT = 3600.0
"""Seconds between two page openings of one visit."""


class Visits:
    """The last visits of the users of one archive."""

    def __init__(self, assistant: Assistant, store: UserStore | None = None) -> None:
        self.assistant = assistant
        self._store = store  # when not given, the archive's own (opened at the first visit)

    def store(self) -> UserStore:
        return self._store or user_store_for(self.assistant)

    def last(self, user: str) -> UserRecord | None:
        """The record of `user`'s latest page opening (None: never, as far as the store knows)."""
        found = self.store().records(user, kind=VISIT)
        return max(found, key=lambda record: record.at) if found else None

    def before(self, user: str, now: float | None = None) -> float | None:
        """When the visit before this one was (None: this is the first), read without keeping anything."""
        stamp = time.time() if now is None else now
        latest = self.last(user)
        if latest is None:
            return None
        if stamp - latest.at >= SAME_VISIT:  # this page's opening is not kept yet: the latest is the visit before
            return latest.at
        kept = latest.body.get("before")  # the same visit goes on: the one before stays the one before
        return float(kept) if isinstance(kept, int | float) else None

    def arrive(self, user: str, now: float | None = None) -> float | None:
        """Keep this page opening and return when the visit before this one was (None: this is the first)."""
        stamp = time.time() if now is None else now
        before = self.before(user, stamp)
        self.store().put(UserRecord(user, VISIT, VISIT, VISIT, stamp, {"before": before}))
        return before

    def on_load(self, request: gr.Request | None) -> None:
        """The page's load event: this opening is kept (a store that fails costs the "since my last visit" answer
        only, never the page)."""
        try:
            self.arrive(user_of(request))
        except (AssistantError, OSError, sqlite3.Error) as error:
            log.warning("the visit could not be kept: %s", error)


def user_of(request: gr.Request | None) -> str:
    """The login's name, else the one local user."""
    name = request.username if request is not None else None
    return name if isinstance(name, str) and name else LOCAL_USER
