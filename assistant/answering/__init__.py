"""From a question to an answer: retrieval, extractive and generative answers, verification of quotes, conversations.

The names below are this stage's public surface, imported on first use (PEP 562): importing one module of the
stage does not load the others (the CLI starts faster, and no import cycle runs through this file).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.surfaces import lazy_surface

if TYPE_CHECKING:
    from assistant.answering.extractive import ExtractiveAnswerer
    from assistant.answering.generation import GenerativeAnswerer
    from assistant.answering.langchain_retriever import ArticleRetriever
    from assistant.answering.prompts import load_prompt
    from assistant.answering.retrieval import HybridRetriever
    from assistant.answering.verification import verify

_WHERE = {
    "HybridRetriever": "assistant.answering.retrieval",
    "ExtractiveAnswerer": "assistant.answering.extractive",
    "GenerativeAnswerer": "assistant.answering.generation",
    "verify": "assistant.answering.verification",
    "ArticleRetriever": "assistant.answering.langchain_retriever",
    "load_prompt": "assistant.answering.prompts",
}

__all__ = ["ArticleRetriever", "ExtractiveAnswerer", "GenerativeAnswerer", "HybridRetriever", "load_prompt", "verify"]


__getattr__, __dir__ = lazy_surface(__name__, _WHERE, globals())
