"""What a question asks for: a day, a number, a name, a place, a cause, a choice among named things, or open.

Read from the question words (German and English), the first one in the question deciding: "Wie viele … am
22. Juni" asks for a number, "Wann … wie viele" for a day. A question word followed by a noun says more than
the word alone: "In welcher Stadt" asks for a place, "Welche Ratingagentur" for a name, "Mit welchem Betrag"
for a number, "Bis zu welchem Datum" for a day; "welche" before any other noun is a choice.
"""

from __future__ import annotations

import re

from assistant.question import AnswerKind

_NOUNS: dict[AnswerKind, str] = {
    "day": r"tag|tages|datum|jahr|jahres|jahrzehnt|jahrhundert|monat|zeitpunkt|uhrzeit|wochentag|zeit|zeitraum|"
    r"zeitabschnitt|zeitlichen rahmen|epoche|"
    r"day|date|year|month|time|decade|century|period|point in time",
    "number": r"betrag|summe|anteil|stimmenanteil|prozentsatz|prozent|faktor|kapazität|kosten|laufenden kosten|"
    r"höhe|anzahl|zahl|preis|wert|kaution|menge|geldbetrag|ausmaß|umfang|temperatur|entfernung|größe|"
    r"amount|sum|share|percentage|percent|factor|capacity|costs?|monthly running costs|number|price|value|"
    r"bail|proportion|fraction|rate|size|distance|temperature",
    "place": r"stadt|städte|ort|orte|land|landes|länder|staat|staates|staaten|region|bundesland|kreis|gemeinde|"
    r"stadtteil|kontinent|insel|fluss|hauptstadt|standort|krankenhaus|"
    r"town|city|cities|place|country|countries|state|region|district|continent|island|river|area|capital|"
    r"building|hospital|location",
    "name": r"politiker\w*|partei|unternehmen|firma|agentur|social-media-agentur|ratingagentur|organisation|"
    r"minister\w*|person|mann|frau|name|namen|marke|handymarken|zeitschrift|fachzeitschrift|zeitung|verein|"
    r"mannschaft|team|band|gruppe|spieler\w*|schauspieler\w*|präsident\w*|gericht|behörde|institution\w*|"
    r"universität|künstler\w*|autor\w*|komponist\w*|firmen|konzern|bank|sender|abgeordnete\w*|automarke|"
    r"politicians?|party|company|firm|agency|organi[sz]ation|minister|person|man|woman|name|brands?|"
    r"journal|newspaper|club|team|band|group|player|actor|president|court|authority|institution|university|"
    r"artist|author|composer|bank|broadcaster|member",
}
_DETERMINER = r"(?:welche[rsnm]?|which|what)\s+(?:[\w'-]+\s+){0,2}"
"""A choice word and at most two words before its noun ("welcher deutsche Politiker", "which social media agency")."""

_WORDS: list[tuple[AnswerKind, str]] = [
    (
        "cause",
        r"warum|weshalb|wieso|weswegen|aus welchem grund|mit welcher begründung|womit begründete\w*|"
        r"womit erklärte\w*|wie begründete\w*|aus welchen gründen|"
        r"why|for what reason|what reason|how did \S+(?: \S+)? (?:explain|justify)",
    ),
    ("day", r"wann|seit wann|bis wann|ab wann|when|since when|until when|what time"),
    (
        "number",
        r"wievielfache|wie viel(?:e[nr]?)?|wie hoch|wie lange|wie alt|wie oft|wie weit|wie groß|wie teuer|wie schwer|"
        r"wie schnell|wie warm|wie kalt|wie heiß|wie tief|"  # measures with a unit: km/h, Grad Celsius, Meter
        r"um wie viel|how many|how much|how long|how old|how often|how far|how large|how big|how high|"
        r"how expensive|how heavy|how fast|how warm|how hot|how cold|how deep",
    ),
    ("place", r"wo|wohin|woher|where|from where"),
    (
        "name",
        r"wer|wem|wen|wessen|wie heißt|wie hieß|wie heißen|wie hießen|wie nennt|wie lautet der name|"
        r"who|whom|whose|what is the name|what was the name",
    ),
]
_OPEN = r"^(?:what|was|worum|wofür|wozu|woraus|wie)\b"
"""A question opening with a bare "what"/"was" asks something open, whatever "when" or "wo" follows ("What
happened when …"); a longer opening ("What year", "Wie viele") still wins."""
_PATTERNS: list[tuple[AnswerKind, re.Pattern[str]]] = [
    ("open", re.compile(_OPEN, re.IGNORECASE)),
    *((kind, re.compile(rf"\b{_DETERMINER}(?:{nouns})\b", re.IGNORECASE)) for kind, nouns in _NOUNS.items()),
    *((kind, re.compile(rf"\b(?:{words})\b", re.IGNORECASE)) for kind, words in _WORDS),
]
_CHOICE = re.compile(r"\b(?:welche[rsnm]?|which)\b", re.IGNORECASE)


def answer_kind(question: str, language: str = "de") -> AnswerKind:
    """The kind of answer `question` asks for (`language` is the question's, 'de' or 'en')."""
    question = question.replace("\u200b", "").strip()
    found = [(m.start(), -len(m.group()), kind) for kind, pattern in _PATTERNS if (m := pattern.search(question))]
    kind = min(found)[2] if found else "open"
    if kind != "open":
        return kind
    return "choice" if _CHOICE.search(question) else "open"


_TYPED_NAME = re.compile(rf"\b{_DETERMINER}(?:{_NOUNS['name']})\b", re.IGNORECASE)


def names_its_type(question: str) -> bool:
    """Whether a name question says what kind of name it wants ("Which newspaper …", "Welche Zeitung …"): its answer
    is a name of that kind, where a bare "who" may be answered by a role."""
    return bool(_TYPED_NAME.search(question))
