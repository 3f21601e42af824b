"""The browser chat and its server: the Gradio app, its HTML, uploads, logins and access rules.

The names below are this stage's public surface, imported on first use (PEP 562): importing one module of the
stage does not load the others (the CLI starts faster, and no import cycle runs through this file).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.surfaces import lazy_surface

if TYPE_CHECKING:
    from assistant.serve.access import decide_access
    from assistant.serve.chat_app import build_app, serve
    from assistant.serve.users import Users

_WHERE = {
    "serve": "assistant.serve.chat_app",
    "build_app": "assistant.serve.chat_app",
    "Users": "assistant.serve.users",
    "decide_access": "assistant.serve.access",
}

__all__ = ["Users", "build_app", "decide_access", "serve"]


__getattr__, __dir__ = lazy_surface(__name__, _WHERE, globals())
