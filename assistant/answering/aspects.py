"""What a detail is about, and whether that is what the question asks: a share for "wie viel Prozent", money
for "wie viel kostet", a span of time for "wie lange", a day (not only a year) for "an welchem Tag", a person
or organisation (not a place) for "wer", a named place (not "in Untersuchungshaft") for "wo".

The finders of `spans` find every number, day, name or place; in news and in Wikipedia the sentence next to
the answer (or the answer sentence's neighbour once it is gone) holds details of the same kind as often as the
answer sentence does, about something else: "der 51-Jährige" beside "79,9 Prozent", "in Rheda-Wiedenbrück"
beside "Robert Tönnies". The question says which of them it wants; a detail that is plainly about something
else does not count as one (`fits`). Where the question does not say ("wie hoch", "wann"), every detail fits.
"""

from __future__ import annotations

import re
from typing import Literal

from assistant.answering.spans import is_name_word, names_a_rate, without_rate
from assistant.dates import is_still_to_come
from assistant.question import AnswerKind

Aspect = Literal[
    "percent",
    "money",
    "duration",
    "age",
    "times",
    "count",
    "date",
    "year",
    "clock",
    "person",
    "named place",
    "place from",
    "place to",
    "any",
]
"""What exactly a question of a kind asks for; "any" when its words do not say."""

_NUMBER_ASPECTS: list[tuple[Aspect, re.Pattern[str]]] = [
    (
        "percent",
        re.compile(
            r"\b(?:prozent\w*|\w*anteil\w*|\w*quote|percent\w*|per cent|proportion|(?:what|which) share)\b", re.I
        ),
    ),
    ("age", re.compile(r"\b(?:wie alt|how old|welche[mn]? alter|what age)\b", re.I)),
    (
        "duration",
        re.compile(
            r"\b(?:wie lange|how long|wie viele (?:jahre|monate|wochen|tage|stunden|minuten)|"
            r"how many (?:years|months|weeks|days|hours|minutes))\b",
            re.I,
        ),
    ),
    ("times", re.compile(r"\b(?:wie oft|how often|how many times|wievielfache\w*|faktor|factor)\b", re.I)),
    ("count", re.compile(r"\b(?:wie viele[nr]?|how many|anzahl|zahl der)\b(?! (?:euro|dollar|pfund))", re.I)),
    (
        "money",
        re.compile(
            r"\b(?:\w*kosten|kostet\w*|kostete\w*|geld\w*|\w*betrag\w*|kaution|summe|euro|dollar|wie teuer|"
            r"how much money|how expensive|costs?|paid|pay|spent|spend|bail)\b",
            re.I,
        ),
    ),
]
"""Read in this order: "Wie viele Prozent" asks for a share, "Wie viele Jahre" for a span of time, "Wie viele
Nominierungen für den Preis" for a count."""
_DAY_ASPECTS: list[tuple[Aspect, re.Pattern[str]]] = [
    ("clock", re.compile(r"\b(?:um wie viel uhr|uhrzeit|what time|at what hour)\b", re.I)),
    ("year", re.compile(r"\b(?:welche[mns]? jahr\w*|what year|which year|in what year)\b", re.I)),
    (
        "date",
        re.compile(r"\b(?:welche[mns]? (?:tag|datum|wochentag)|(?:what|which) (?:day|date)|an welchem tag)\b", re.I),
    ),
]
_PERSON = re.compile(
    r"\b(?:wer|who|wessen|whose|welche[rmns]? (?:\w+ )?(?:politiker\w*|minister\w*|präsident\w*|spieler\w*|"
    r"schauspieler\w*|künstler\w*|autor\w*|komponist\w*|person|mann|frau|abgeordnete\w*|trainer\w*|chef\w*)|"
    r"which (?:\w+ )?(?:politician|minister|president|player|actor|artist|author|composer|person|man|woman|member))\b",
    re.I,
)

_NAMED_PLACE = re.compile(
    r"\b(?:welche[rmns]?|which|what) (?:\w+ )?(?:land|landes|länder\w*|staat\w*|stadt|städte\w*|insel\w*|"
    r"country|countries|city|cities|town|state|island)\b",
    re.I,
)
"""A place question whose answer has a name ("Aus welchem Land", "In welcher Stadt"): not "im Flüchtlingslager"."""

_DIRECTIONS: list[tuple[Aspect, re.Pattern[str]]] = [
    (
        "place from",
        re.compile(
            r"\b(?:woher|aus welche[mnr]?|von wo|from where|from which)\b|\b(?:where|which)\b.*\bfrom\W*$", re.I
        ),
    ),
    ("place to", re.compile(r"\b(?:wohin|where to|to which|to what)\b|\bwhere\b.*\bto\W*$", re.I)),
]
"""Where from ("Aus welchem Land stammen …", "woher") wants a phrase with "aus"/"von"; where to ("wohin") one with
"nach", "zu", or "in"/"auf" with the accusative ("in die Hafenstadt"): "auf Lesbos" says where, not whither."""
_FROM = re.compile(r"(?i:aus|von|vom|from)\b")
_TO = re.compile(r"(?i:nach|zu|zum|zur|ins|into|to|onto|(?:in|auf|an) (?:den|die|das|einen|eine))\b")


_PURPOSE = re.compile(r"(?i:um|damit|in order to|so that)\b")
"""A purpose clause ("um eine Verständigung … zu fördern") gives the purpose of its own clause's action."""


def asked_aspect(question: str, kind: AnswerKind) -> Aspect:
    """What exactly `question` (of `kind`) asks for; "any" when its words do not narrow the kind."""
    if kind == "number":
        return next((aspect for aspect, pattern in _NUMBER_ASPECTS if pattern.search(question)), "any")
    if kind == "day":
        return next((aspect for aspect, pattern in _DAY_ASPECTS if pattern.search(question)), "any")
    if kind == "name" and _PERSON.search(question):
        return "person"
    if kind == "place":
        direction = next((aspect for aspect, pattern in _DIRECTIONS if pattern.search(question)), None)
        return direction or ("named place" if _NAMED_PLACE.search(question) else "any")
    return "any"


_PERCENT = re.compile(r"%|prozent|percent|per cent", re.I)
_MONEY = re.compile(r"€|\$|£|\b(?:euro|eur|dollar|us-dollar|pfund|franken|cent|pounds?|dollars?|euros?)\b", re.I)
_DURATION = re.compile(
    r"\b(?:sekunden?|minuten?|stunden?|tagen?|wochen?|monaten?|jahren?|jahrzehnten?|jahrhunderten?|nächte|"
    r"seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centuries)\b",
    re.I,
)
_AGE = re.compile(r"^\s*-?\s*(?:jährig\w*|jähri\w*|jahre alt|years? old|-year-old)|jahre alt|years old", re.I)
_TIMES = re.compile(r"\b(?:mal|fach|times|fold)\b|^-?(?:mal|fach)", re.I)
_SCALE = re.compile(r"\b(?:millionen|million|mio|milliarden|milliarde|mrd|billionen|billion|bn)\b", re.I)
_AFTER = 16
"""Characters after a number read with it: the unit may follow ("3,75 Millionen (!) Euro", "51-Jährige")."""


def _number_class(text: str, start: int, end: int) -> str:
    """What a number is: a share, money, an age, a multiple, a span of time, or a count (anything else)."""
    span, after = without_rate(text[start:end]), text[end : end + _AFTER]
    if _PERCENT.search(span) or re.match(r"\s*(?:%|prozent|percent|per cent)", after, re.I):
        return "percent"
    if _MONEY.search(span) or _MONEY.search(text[max(0, start - 2) : start]) or _MONEY.match(after.lstrip()):
        return "money"
    if re.match(r"\s*\(?\S*\)?\s*(?:€|euro|dollar)", after, re.I) and _SCALE.search(span):
        return "money"
    if _AGE.match(after) or _AGE.search(span):
        return "age"
    if _TIMES.search(span) or re.match(r"-?(?:mal|fach)\b", after, re.I):
        return "times"
    if _DURATION.search(span) or re.match(r"\s*(?:sekunden|minuten|stunden|tage|wochen|monate|jahre)\b", after, re.I):
        return "duration"
    return "count"


_NUMBER_FITS: dict[Aspect, frozenset[str]] = {
    "percent": frozenset({"percent"}),
    "money": frozenset({"money"}),
    "duration": frozenset({"duration", "count"}),
    "age": frozenset({"age", "count", "duration"}),
    "times": frozenset({"times", "count", "percent"}),
    "count": frozenset({"count"}),
}
"""Which numbers answer which question: a bare count may be an age ("mit 51") or a span ("seit 20 Jahren" is
found with its unit, "vier" alone is not), but a share never answers "wie viele Menschen"."""

_DAY_NUMBER = re.compile(
    r"\b\d{1,2}\.\s*(?:\d{1,2}\.|[A-ZÄÖÜ])|\b(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonnabend|"
    r"Sonntag|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|heute|gestern|morgen)|"
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December)\s+\d{1,2}\b",
)
_YEAR = re.compile(r"\b(?:1\d{3}|20\d\d)\b|\bjahr", re.I)
_CLOCK = re.compile(r"\buhr\b|\d:\d\d|\b(?:a\.m\.|p\.m\.|morgens|abends|mittags|nachts|o'clock)\b", re.I)
_DAY_FITS: dict[Aspect, re.Pattern[str]] = {"date": _DAY_NUMBER, "year": _YEAR, "clock": _CLOCK}

_PLACE_BEFORE = re.compile(r"\b(?:in|im|aus|nach|bei|nahe|near|from|in the|at)\s+(?:der|dem|den|the)?\s*$", re.I)
"""A name right after a preposition of place ("in Rheda-Wiedenbrück", "bei Deutschlands …") names a place."""
_LAST_WORD = re.compile(r"([\w-]+)\s+$")
_ORGANISATION = re.compile(
    r"\b(?:AG|GmbH|SE|Inc|Ltd|Partei|Verein|Verband|Universität|University|Bank|Institut\w*|Ministerium|"
    r"Gericht\w*|\w*gericht|FC|Club|Company|Corporation|Party)\b"
)


def fits(aspect: Aspect, kind: AnswerKind, text: str, start: int, end: int, question: str = "") -> bool:
    """Whether the detail `text[start:end]` (a detail of `kind` in its sentence `text`) is about what
    `question` asks (`aspect`)."""
    if kind == "number" and _glued(text, start, end):
        return False  # "Covid-19", "G20": a number inside a name
    if kind == "place":
        detail = text[start:end]
        if (aspect == "place from" and not _FROM.match(detail)) or (aspect == "place to" and not _TO.match(detail)):
            return False
        return _named_place(detail, question, strict=aspect in ("named place", "place from"))
    if kind == "day" and _SINCE.search(text[max(0, start - 8) : start + 6]) and not _ASKS_SINCE.search(question):
        return False  # "die bedeutendste Deeskalation seit Februar 2022" says since when, not when
    if kind == "day" and _ASKS_SINCE.search(question) and is_still_to_come(text[max(0, start - 12) : end]):
        return False  # "am kommenden Mittwochabend" is still to come: no answer to "seit wann"
    if kind == "number" and names_a_rate(question) and not names_a_rate(text):
        return False  # "Kosten pro Monat": a sentence with no rate gives a total ("rund 20 Millionen Euro kosten")
    if kind == "name" and _SUBJECT_QUESTION.match(question) and _in_complement(text, start, question):
        return False  # "äußerte Zweifel, dass Wladimir Putin …": the one doubted about, not the doubter
    if kind == "cause" and _PURPOSE.match(text[start:end]):
        return _purpose_of_asked(text[:start], question)
    if aspect == "any":
        return True
    if kind == "number":
        return _number_class(text, start, end) in _NUMBER_FITS[aspect]
    if kind == "day":
        return bool(_DAY_FITS[aspect].search(text[start:end]))
    if aspect == "person":
        detail = text[start:end]
        if _GENITIVE_BEFORE.search(_before_name_chain(text[max(0, start - 80) : start])):
            return False  # "Beamter des Kremls": whom the person belongs to, not the person
        if (last := _LAST_WORD.search(text[max(0, start - 30) : start])) and _PLACE_NOUN.fullmatch(last.group(1)):
            return False  # "das russische Gebiet Kursk", "im Landkreis Heinsberg": a place named by its noun
        return not _PLACE_BEFORE.search(text[max(0, start - 12) : start]) and not _ORGANISATION.search(detail)
    return True


_SINCE = re.compile(r"\b(?:seit|since)\s+\S*$|^(?:seit|since)\b", re.I)
"""A day after "seit"/"since" (inside the day's span or just before it) is where a state began."""
_ASKS_SINCE = re.compile(r"\b(?:seit|since|begann|beginnt|begonnen|began|begin|begun|start\w*|anfang\w*)\b", re.I)
"""Questions that a beginning answers: "Seit wann …", "Since when …", "Wann begann …"."""

_GENITIVE_BEFORE = re.compile(r"(?<![.!?:]\s)\b[A-ZÄÖÜ][a-zäöüß]+\s+(?:des|der)\s+$")
"""A name in the genitive after a common noun ("ein Beamter des Kremls", "Chef der CDU") says whose the person is:
the noun is the person (a role), the name is not. Not after a sentence's first word ("Laut der …" is no noun)."""
_NAME_CHAIN = re.compile(r"[A-ZÄÖÜ][\w'’-]*\s+(?:of|of the|de|du)\s+$")
"""The first part of a name that runs on past a lowercase word ("Church of England")."""


def _before_name_chain(before: str) -> str:
    """The text before a whole name whose last part follows `before` ("… Priester der " for "England" in "Priester
    der Church of England")."""
    while chained := _NAME_CHAIN.search(before):
        before = before[: chained.start()]
    return before


_SUBJECT_QUESTION = re.compile(
    r"\s*(?:wer\b|welche[rs]?\s+[\w-]+|(?:who|which\s+[\w-]+|what\s+[\w-]+)(?!\s+(?:do|does|did)\b))", re.I
)
"""A question for the subject: who did what ("Wer zweifelt …", "Welche Zeitung hat … berichtet", "Which newspaper
reported …"; not "wem", "wen", "welchen", "whom", "who did … meet")."""
_COMPLEMENT = re.compile(r",\s*(?:dass|ob)\b|\b(?:that|whether)\b")
"""A complement clause ("…, dass Putin zustimmen werde"): what is said, doubted or reported, after its verb."""
_AUXILIARY = frozenset(
    "hat haben hatte hatten ist sind war waren wird werden wurde wurden würde würden soll sollen sollte sollten will "
    "wollte kann könnte "
    "konnte muss musste darf durfte has have had is are was were will would shall should can could may might must "
    "does did do".split()
)


def _in_complement(text: str, start: int, question: str) -> bool:
    """Whether a detail stands in a complement clause of its sentence whose main clause holds the question's verb:
    the subject asked for ("Wer zweifelt …") is the subject of the clause with that verb ("äußerte Zweifel, dass
    Putin …"). When the verb is not found there ("Mittlerweile wurde bekannt, dass das Team von der Agentur
    Storymachine unterstützt wird" for "Welche Agentur half …"), the complement may hold the answer."""
    opened = [m for m in _COMPLEMENT.finditer(text, 0, start)]
    verb = _question_verb(question)
    if not opened or not verb:
        return False
    main, clause = text[: opened[-1].start()], text[opened[-1].end() :]
    if _has_word(main.lower(), verb):
        return not _has_word(clause.lower(), verb)
    if not _shares_a_word(text, question):  # another language: a main clause that names someone has the subject
        return bool(_NAMED_AFTER_FIRST.search(main))
    return False


_NAMED_AFTER_FIRST = re.compile(r"\s[A-ZÄÖÜ]")


def _shares_a_word(text: str, question: str) -> bool:
    """Whether the sentence holds a word of the question (its first characters): else they are in two languages."""
    return any(_has_word(text.lower(), w.lower()[:VERB_PREFIX]) for w in re.findall(r"\w{4,}", question))


def _has_word(text: str, prefix: str) -> bool:
    return any(w.startswith(prefix) for w in re.findall(r"\w+", text))


def _purpose_of_asked(before: str, question: str) -> bool:
    """Whether a purpose clause answers a why-question: it gives the purpose of the action of its own clause, so
    that clause must hold one of the question's verbs (German verbs are the question's lowercase words: "Warum
    wurde die Organisation geschaffen?" and "…, die geschaffen wurde, um die Reaktion zu koordinieren") or the
    one the question names as acting ("Warum unterstützte Tanaghrisson …?" and "dass Tanaghrisson gehandelt hat,
    um …"), unless the sentence shares no word with the question at all (another language: nothing to judge)."""
    verbs = [w.lower()[:VERB_PREFIX] for w in re.findall(r"(?<![\w-])[a-zäöüß]\w{3,}", question)]
    verbs = [v for v in verbs if v not in _AUXILIARY and v not in _NO_VERBS]
    if not _shares_a_word(before, question):
        return True
    return any(_has_word(before.lower(), v) for v in [*verbs, *_agent_of(question)])


_PASSIVE_VERB = frozenset("wurde wurden wird werden worden was were is are".split())


def _agent_of(question: str) -> list[str]:
    """Who acts in an active why-question: the first capitalised word after its verb ("Warum unterstützte
    Tanaghrisson …" → "tanag"); none for a passive one ("Warum wurden die Gespräche abgesagt?")."""
    words = re.findall(r"[\w-]+", question)
    if len(words) < 3 or words[1].lower() in _PASSIVE_VERB:
        return []
    agent = next((w for w in words[2:] if w[:1].isupper()), None)
    return [agent.lower()[:VERB_PREFIX]] if agent and len(agent) >= MIN_HELD else []


_NO_VERBS = frozenset("warum weshalb wieso weswegen diese dieser dieses einer einen einem eines jetzt immer".split())


def _question_verb(question: str) -> str:
    """The first characters of the verb of a subject question ("Wer zweifelt …" → "zweif"; after an auxiliary, the
    German participle at the end: "Welche Zeitung hat … berichtet?" → "beric"); "" when there is none."""
    asked = _SUBJECT_QUESTION.match(question)
    words = re.findall(r"\w+", question[asked.end() if asked else 0 :].lower())
    if not words:
        return ""
    verb = words[0]
    if verb in _AUXILIARY:
        verb = words[-1] if len(words) > 1 else ""
    return verb[:VERB_PREFIX]


VERB_PREFIX = 5


def _glued(text: str, start: int, end: int) -> bool:
    return start > 1 and text[start - 1] == "-" and text[start - 2].isalpha()


_PLACE_NOUN = re.compile(
    r"(?:stadt|städten?|dorf|orten|\w*gebiet|oblast|haus|häusern?|saal|palast|schloss|burg|bahnhof|markt|park|museum|theater|land|ländern?|staaten?|insel|inseln|kreis|landkreis|region|provinz|bezirk|"
    r"krankenhaus|klinik\w*|klinikum|lager|camp|hafen|hafenstadt|hauptstadt|gemeinde|viertel|straße|"
    r"flughafen|hotel|gebäude|schule|universität|kirche|halle|stadion|city|town|village|island|country|state|"
    r"county|hospital|camp|port|capital|street|square|airport|building|church|stadium|river|fluss|berg|"
    r"küste|grenze)\b",
    re.I,
)


def _named_place(detail: str, question: str, *, strict: bool) -> bool:
    """A place phrase ("nach Thessaloniki", "in einem Erkelenzer Krankenhaus", "auf philippinischen
    Treuhandkonten") names a place when a word the question does not hold is a proper noun (HanTa), an
    adjective of origin or (unless `strict`) a noun of place; "in Untersuchungshaft", "nach Angaben" do not,
    nor "aus dem Landkreis Heinsberg" for a question about "dem Kreis Heinsberg"."""
    asked = {w.lower() for w in re.findall(r"[\w'’-]+", question) if len(w) >= MIN_HELD}
    words = [w for w in re.findall(r"(?<![\w-])[A-ZÄÖÜ][\w'’-]*", detail) if not _held(w, asked)]
    if any(is_name_word(w) or w.isupper() for w in words):
        return True
    if any(not _held(w, asked) for w in _ORIGIN.findall(detail)):
        return True
    return not strict and any(_PLACE_NOUN.search(w) for w in words)


MIN_HELD = 4
_ORIGIN = re.compile(r"\b[a-zäöü][\w-]*(?:ischen|ische|ischer|ischem|isches)\b")
"""An adjective of origin ("philippinischen", "griechischen"): where something is, without a proper noun."""


def _held(word: str, asked: set[str]) -> bool:
    """Whether the question holds the word, or the last part of it ("Landkreis" for a question's "Kreis")."""
    lower = word.lower()
    return lower in asked or any(lower.endswith(a) for a in asked)
