"""A tiny language guess (German or English) for the few sentences the assistant writes itself."""

from __future__ import annotations

import re

_GERMAN = frozenset(
    "der die das und ist sind wer wie was wann wo warum welche welcher welches wurde wurden hat haben "
    "nicht ein eine einen dem den des mit von zu im auf für über sich es sie er wir ihr sollte sollten "
    "soll kann können gibt denn noch auch oder aber als nach bei seit gegen zwischen "
    # questions that open with a preposition and a declined question word ("In welchem Jahr starb Tesla?")
    "in welchem welchen wessen wem wen am vom zum zur ins wird werden hatte hatten einer eines einem durch "
    "unter vor".split()
)
"""Function words of German questions; "in" counts for both languages (a tie goes to German)."""
_ENGLISH = frozenset(
    "the and is are who how what when where why which was were has have not a an of to in on for about it "
    "they he she we did does do should can could there with from by between".split()
)


LANGUAGES = ("de", "en")
"""The languages the assistant tells apart: those of its own phrases and of the language guess."""
ARTICLE_SAMPLE_CHARS = 5_000
"""An article's language is guessed from its opening: enough words to count, at a bounded cost."""


def guess_language(text: str) -> str:
    """'de' or 'en' for a question; German wins ties because the product is German first."""
    words = re.findall(r"[a-zäöüß]+", text.lower())
    german = sum(w in _GERMAN for w in words) + 2 * len(re.findall(r"[äöüß]", text.lower()))
    english = sum(w in _ENGLISH for w in words)
    return "en" if english > german else "de"


def article_language(text: str) -> str:
    """'de' or 'en' for an article, kept beside its chunks so that retrieval can search each language."""
    return guess_language(text[:ARTICLE_SAMPLE_CHARS])


def cross_lingual(question: str, texts: list[str], *, asked: str | None = None) -> bool:
    """Whether most of `texts` are in another language than `question` (then their words are not the question's);
    `asked` is the question's language when it is known already."""
    asked = asked or guess_language(question)
    return sum(guess_language(text) != asked for text in texts) * 2 > len(texts)
