"""Every error the assistant raises on purpose, under one base class.

    AssistantError
     ├── ConfigurationError     a setting has a value the assistant cannot use (checked when Settings are made)
     │    ├── PromptError            a prompt file is missing, malformed or lacks a variable
     │    └── ExposureError          serving on a network address without users and without --no-auth
     ├── ModelLoadError         the embedding model cannot be found, converted or loaded
     ├── ModelMismatchError     the index was built with another embedding model than the one asked for
     ├── IndexNotFoundError     a question is asked before anything was indexed
     ├── StoreUnavailableError  the Chroma server (ASSISTANT_CHROMA_URL) does not answer
     ├── ArticleNotFoundError   an article id that the index does not hold
     ├── InvalidArticleError    an article given from Python is unusable (empty text, no id, ...)
     ├── RefusedInputError      a file or record cannot be used (inside loading only: it becomes a refusal)
     ├── InvalidInputError      a question or option cannot be used (too long, k out of range, bad date, ...)
     │    └── EmptyQuestionError     the question is empty or only whitespace
     ├── UsersFileError         the users file cannot be read or changed (bad name, unknown user, ...)
     ├── FetchError             a URL cannot be fetched (refused address, HTTP error, timeout, too large)
     └── ModelOutputError       the language model answered with nothing usable (the answer falls back)

Files that cannot be indexed are not errors: they are reported as refusals in the `IndexReport`, so one bad
file never stops a batch. Edges (CLI, chat) turn these into messages; the library never prints.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: catch this to handle everything the assistant raises on purpose."""


class ConfigurationError(AssistantError):
    """Raised when a setting has a value the assistant cannot use."""


class PromptError(ConfigurationError):
    """Raised when a prompt file is missing, malformed, or lacks a variable the code fills in."""


class ModelLoadError(AssistantError):
    """Raised when the embedding model cannot be found, converted or loaded."""


class ModelMismatchError(AssistantError):
    """Raised when the index was built with another embedding model than the one asked for."""


class IndexNotFoundError(AssistantError):
    """Raised when a question is asked before anything was indexed."""


class StoreUnavailableError(AssistantError):
    """Raised when the Chroma server does not answer; nothing committed is lost, and the next call retries."""


class ArticleNotFoundError(AssistantError, KeyError):
    """Raised when an article id is not in the index."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0]) if self.args else ""


class StoryNotFoundError(AssistantError, KeyError):
    """No story has this id (nor had it before a merge)."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ""


class InvalidArticleError(AssistantError, ValueError):
    """Raised when an article given from Python is unusable (no id, empty text, ...)."""


class RefusedInputError(AssistantError, ValueError):
    """Raised while reading a file or record that cannot be used; its message is the refusal's reason.

    The loader turns it into a `Refusal` in the report: it never reaches a caller of `load_paths`.
    """


class InvalidInputError(AssistantError, ValueError):
    """Raised when a question or an option from a caller cannot be used; the message says what to send instead."""


class EmptyQuestionError(InvalidInputError):
    """Raised when the question is empty or only whitespace."""


class UsersFileError(AssistantError):
    """Raised when the users file cannot be read or changed (invalid name or password, unknown user, ...)."""


class ExposureError(ConfigurationError):
    """Raised when the chat would listen on a network address without anyone configured to log in."""


class FetchError(AssistantError):
    """Raised when a URL cannot be fetched (refused address, HTTP error, timeout, too large, ...)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class ModelOutputError(AssistantError, ValueError):
    """Raised when the language model answered, but with nothing usable (empty text): the answer falls back
    to the extractive one, like when the model is unreachable."""
