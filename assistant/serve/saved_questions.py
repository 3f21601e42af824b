"""Saved questions: a user keeps a question, and its digest shows only what arrived since that user last looked.

Kept in the per-user store beside the conversations (`user_store`), one record per thing so that nothing is
read, changed and written back: a ``saved`` record per question (key: its id) and a ``saved-look`` record per
question holding the time of the last look (replaced on every look). Two processes saving at once add two
records; a crash leaves whole records only.

From Python::

    saved = SavedQuestions.of(assistant, user="anna")
    question = saved.save("Was gibt es Neues zum Bahnstreik?")
    for story in saved.digest(question.id):      # everything at first, then only what arrived since
        print(story.to_dict())
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass

from assistant.core import Assistant
from assistant.errors import AssistantError, InvalidInputError
from assistant.serve.conversations import LOCAL_USER
from assistant.serve.user_store import UserRecord, UserStore, user_store_for
from assistant.stories.digest import DigestStory

SAVED = "saved"
LOOK = "saved-look"
MAX_QUESTION_CHARS = 500
_ID = re.compile(r"[0-9a-f]{32}")


class SavedQuestionNotFoundError(AssistantError, KeyError):
    """Raised when an id is not one of this user's saved questions."""


@dataclass(frozen=True)
class SavedQuestion:
    id: str
    question: str
    saved: float
    last_looked: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "question": self.question, "saved": self.saved, "last_looked": self.last_looked}


@dataclass(frozen=True)
class SavedDigest:
    """A look at a saved question: what arrived since `since` (None: the first look, everything)."""

    question: SavedQuestion
    since: float | None
    looked: float
    stories: list[DigestStory]

    def to_dict(self) -> dict[str, object]:
        return {
            "question": self.question.to_dict(),
            "since": self.since,
            "looked": self.looked,
            "stories": [story.to_dict() for story in self.stories],
        }


def check_saved_id(saved_id: object) -> str:
    if not isinstance(saved_id, str) or not _ID.fullmatch(saved_id):
        raise SavedQuestionNotFoundError(f"no saved question {str(saved_id)[:40]!r} (ids are 32 hex digits)")
    return saved_id


class SavedQuestions:
    """One user's saved questions over one archive."""

    def __init__(self, assistant: Assistant, store: UserStore, user: str = LOCAL_USER) -> None:
        self.assistant = assistant
        self.store = store
        self.user = user

    @classmethod
    def of(cls, assistant: Assistant, user: str = LOCAL_USER) -> SavedQuestions:
        """The user's saved questions on the archive's own storage (its folder, or its Chroma server)."""
        return cls(assistant, user_store_for(assistant), user)

    def save(self, question: object) -> SavedQuestion:
        if not isinstance(question, str) or not question.strip() or len(question) > MAX_QUESTION_CHARS:
            raise InvalidInputError(f"a saved question is text of 1 to {MAX_QUESTION_CHARS} characters")
        saved = SavedQuestion(secrets.token_hex(16), " ".join(question.split()), time.time())
        self.store.put(UserRecord(self.user, SAVED, saved.id, saved.id, saved.saved, {"question": saved.question}))
        return saved

    def list(self) -> list[SavedQuestion]:
        """Every saved question of the user, the oldest first."""
        looks: dict[str, float] = {}
        heads: list[UserRecord] = []
        for record in self.store.records(self.user):
            if record.kind == LOOK:
                looks[record.group] = record.at
            elif record.kind == SAVED:
                heads.append(record)
        return [_saved(head, looks.get(head.group)) for head in heads]

    def get(self, saved_id: object) -> SavedQuestion:
        group = check_saved_id(saved_id)
        records = self.store.records(self.user, group=group)
        heads = [record for record in records if record.kind == SAVED]
        if not heads:
            raise SavedQuestionNotFoundError(f"no saved question {group!r} for this user")
        looks = [record.at for record in records if record.kind == LOOK]
        return _saved(heads[0], max(looks) if looks else None)

    def remove(self, saved_id: object) -> None:
        group = check_saved_id(saved_id)
        if not self.store.delete_group(self.user, group):
            raise SavedQuestionNotFoundError(f"no saved question {group!r} for this user")

    def digest(self, saved_id: object) -> SavedDigest:
        """What arrived about the question since the user last looked (all of it at the first look); the look is
        kept, stamped with the time it began, so an article indexed while it ran shows up at the next look."""
        saved = self.get(saved_id)
        looked = time.time()
        stories = self.assistant.question_digest(saved.question, saved.last_looked)
        self.store.put(UserRecord(self.user, LOOK, f"{saved.id}/look", saved.id, looked, {}))
        return SavedDigest(saved, saved.last_looked, looked, stories)


def _saved(head: UserRecord, last_looked: float | None) -> SavedQuestion:
    return SavedQuestion(head.group, str(head.body.get("question", "")), head.at, last_looked)
