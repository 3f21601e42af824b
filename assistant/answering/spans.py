"""Where a sentence holds an answer of the kind a question asks for: numbers with their units, days, names,
places, causes. Each finder gives (start, end) offsets into the sentence.

Names need a part-of-speech tagger (German capitalises every noun): HanTa, whose German model comes inside
its wheel. Tagging every sentence at indexing would cost minutes per thousand articles, so it runs on the
question path, only for questions that ask for a name or a place, only on the few candidate sentences, word by
word (the capitalised words), with a cache: a word's tag out of context is what the lexicon says of it.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable

from assistant.dates import date_spans
from assistant.question import AnswerKind

Spans = list[tuple[int, int]]

_SCALE = r"(?:millionen|million|mio\.?|milliarden|milliarde|mrd\.?|billionen|tausend|hundert|billion|thousand|bn)"
_MEASURE = (
    r"(?:hektar|ha|tonnen|tonne|kilogramm|kilo|kg|gramm|liter|kubikmeter|quadratmeter|qm|quadratkilometer|km²|"
    r"m²|m³|barrel|hectares?|acres?|tons?|tonnes?|kilograms?|grams?|lit(?:re|er)s?|gallons?|barrels?|"
    r"(?:square|cubic)\s+(?:kilomet(?:re|er)s?|met(?:re|er)s?|miles?|feet))"
)
"""Measures of an amount of something: the noun after one is what it measures ("5.000 Hektar Wald", "200 tons of
steel"), where after a length, a temperature or a sum of money the next noun is no part of it."""
_UNIT = (
    r"(?:prozent|prozentpunkte|%|euro|€|dollar|\$|franken|pfund|cent|menschen|personen|leute|einwohner|"
    r"plätze[n]?|betten|stunden|minuten|sekunden|tage[n]?|wochen|monate[n]?|jahre[n]?|mal|fach|"
    r"kilometer|km|meter|m|kilogramm|kg|tonnen|grad|°\s?[cf]|°|fälle[n]?|infizierte[n]?|tote[n]?|beschäftigte[n]?|"
    rf"mitarbeiter(?:innen)?|mph|{_MEASURE}|percent|per cent|euros?|dollars?|people|persons|hours?|minutes?|days?|"
    r"weeks?|months?|years?|times|kilomet(?:re|er)s?|met(?:re|er)s?|miles?|degrees?|cases|deaths)"
)
_PER = (
    r"(?:stunde|tag|woche|monat|jahr|nacht|kopf|person|einwohner|hektar|quadratmeter|liter|kilo|kilogramm|"
    r"kilometer|stück|hour|day|week|month|year|night|head|capita|person|hectare|acre|litre|liter|gallon|"
    r"kilogram|mile)"
)
_RATE = (
    r"(?:/(?:h|s|min|std|d|a|l|kg|km|m|m²|m³|qm|ha)"  # km/h, m/s, mg/l
    rf"|\s+(?:(?:pro|je|per|a|an|each)\s+{_PER}|am\s+tag|im\s+(?:monat|jahr))"  # Euro pro Monat, a day
    r"(?!\s+(?:de[rsmn]|die|das|\d))"  # not "am Tag der Wahl", "im Jahr 2019"
    r"|\s+(?:jährlich|monatlich|wöchentlich|täglich|stündlich|yearly|annually|monthly|weekly|daily|hourly)"
    r")(?![\w/-])"
)
_UNIT_TAIL = (
    rf"(?:{_RATE}"
    r"|\s+(?:celsius|fahrenheit|kelvin)"  # Grad Celsius, degrees Celsius
    r"|\s+(?:über|unter)\s+(?:dem\s+)?(?:meeresspiegel|normalnull)|\s+(?:above|below)\s+sea\s+level"
    r")(?![\w/-])"
)
"""What a unit goes on with: a rate ("Kilometer pro Stunde", "km/h", "Euro im Monat", not "im Jahr 2019"), a
temperature's scale ("Grad Celsius"), a height's zero ("Meter über dem Meeresspiegel"); a word of its own each, so
a unit stops before the next phrase ("15 Grad Celsius am Montag")."""
_DETERMINERS = r"(?:der|die|das|den|dem|des|eine[mnrs]?|jene[mnrs]?|diese[mnrs]?|seine[mnrs]?|ihre[mnrs]?)\b"
_TIME_NOUNS = (
    r"Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonnabend|Sonntag|Januar|Jänner|Februar|März|April|Mai|"
    r"Juni|Juli|August|September|Oktober|November|Dezember|Uhr"
)
_QUALIFIER = (
    r"(?:fast|etwa|rund|knapp|gut|mehr als|weniger als|über|unter|bis zu|mindestens|höchstens|ungefähr|ca\.|"
    r"nearly|almost|about|around|roughly|more than|less than|over|under|up to|at least|some)"
)
_DIGITS = r"\d{1,3}(?:[.,\u202f ]\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?"
_WORD_NUMBERS = (
    r"(?:ein|eine|einen|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zwanzig|dreißig|vierzig|"
    r"fünfzig|hundert|tausend|dutzend|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
    r"thirty|forty|fifty|hundred|thousand|dozen|doppelt|halb|hälfte|double|half)"
)
_FRACTION = (
    r"(?:a|one|two|ein|eine|zwei|drei)\s+(?:third|quarter|half|fifth|tenth|drittel|viertel|fünftel|zehntel|hälfte)s?"
)
_COUNT_WORDS = (
    r"(?:zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zwanzig|dreißig|vierzig|fünfzig|hundert|"
    r"tausend|dutzende|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundreds|thousands|dozens)"
)
"""A number word alone before a noun ("sechs Grammys", "fünf rivalisierende Prinzen"); not "ein", "one"."""
_WITH_UNIT = rf"{_UNIT}(?:{_UNIT_TAIL}){{0,2}}"
"""A unit and what it goes on with ("km/h", "Euro pro Monat", "Grad Celsius", "Meter über dem Meeresspiegel")."""
_AMOUNT = rf"(?:{_DIGITS})(?:\s*(?:bis|-|–|and|to)\s*(?:{_DIGITS}))?"
_NUMBER = re.compile(
    rf"(?<![\w.,])(?:{_QUALIFIER}\s+)?(?:(?:{_AMOUNT})(?:\s+{_SCALE})?(?:\s*{_WITH_UNIT})?"
    rf"|{_WORD_NUMBERS}(?:\s+{_SCALE})?\s+(?:{_WITH_UNIT}|mal\s+so\s+\w+)|{_FRACTION}|{_COUNT_WORDS}(?=\s+\w))(?![\w])",
    re.IGNORECASE,
)

_CAUSE = re.compile(
    r"\b(?:weil|da|denn|wegen|aufgrund|auf grund|angesichts|infolge|nachdem|aus sorge|aus angst|auf drängen|"
    r"durch (?:den|die|das|einen|eine|ein)|"
    r"mit der begründung|mit verweis auf|mit dem hinweis auf|mit (?:der|dem|den|einer|einem) (?=\w+\s+\w+)|"
    r"um\b(?=[^.;]*\bzu\b)|because|due to|owing to|as a result of|in order to|citing|so that|"
    r"on the grounds)\b[^.;:!?]*",
    re.IGNORECASE,
)
"""A causal clause: from its marker ("weil", "wegen", "auf Drängen", "mit der …" after a verb of giving
reasons) to the end of the clause."""

_PLACE = re.compile(
    r"\b(?i:in|im|nach|aus|bei|von|vom|zum|zur|ins|auf|an|am|from|to|at|near|into)\s+"  # "Im …" opens sentences
    r"(?:(?:de[rnms]|die|das|einem|einer|eines|the|a)\s+)?(?:[a-zäöüß-]+\s+)?"
    r"(?:[A-ZÄÖÜ][\w'’-]+)(?:\s+[A-ZÄÖÜ][\w'’-]+)?"
)
_CAPITALISED = re.compile(r"(?<![\w-])[A-ZÄÖÜ][\w'’]*(?:-[\w'’]+)*")
_NAME_TAGS = frozenset({"NE", "FM"})
"""Proper nouns, and foreign words (HanTa tags "Westinghouse" FM: in German text a capitalised foreign word is
mostly a name)."""
_ACRONYM = re.compile(r"[A-ZÄÖÜ]{2,6}s?")
"""An organisation's short name ("NFL", "CDU", "WHO"): a capitalised word of capitals only."""


@functools.cache
def _tagger() -> Callable[[str], str]:
    """HanTa's word tagger for German (its model ships in the wheel; loaded once, about 2 s)."""
    from HanTa import HanoverTagger

    model = HanoverTagger.HanoverTagger("morphmodel_ger.pgz")
    lock = threading.Lock()  # its cache is a plain dict

    def tag(word: str) -> str:
        with lock:
            return str(model.analyze(word, taglevel=0))

    return tag


@functools.lru_cache(maxsize=50_000)
def is_name_word(word: str) -> bool:
    return _tagger()(word) in _NAME_TAGS


def day_spans(text: str) -> Spans:
    """Days and times (`dates.date_spans`), and what a history asks "wann" about besides: a year before 1900
    ("1530 veröffentlichte …", "im Jahr 1648"; not one before a noun, "1553 Asylbewerber") and an age ago
    ("vor 22.000 Jahren", "65 million years ago"), decades and eras (`_ERA`)."""
    found = date_spans(text)
    for m in [*_OLD_YEAR.finditer(text), *_AGO.finditer(text), *_ERA.finditer(text)]:
        if not any(start < m.end() and m.start() < end for start, end in found):
            found.append((m.start(), m.end()))
    return sorted(found)


_OLD_YEAR = re.compile(
    r"(?<![\w.,])(?:(?i:im jahre?|anno|in|um|seit|bis|ab|von|in the year)\s+1[0-8]\d\d(?!\d|[.,]\d)"
    r"|1[0-8]\d\d(?=[,;:)]|\.(?!\d)|\s+(?!(?:der|die|das|den|dem|des|ein|eine|einer|einem|eines|and|of)\b)[a-zäöüß]))"
)
"""A year before 1900 after a word that leads one, or before a verb ("1530 veröffentlichte"); not a count before
its noun or article ("1553 Asylbewerber", "1553 der Getesteten")."""
_ERA = re.compile(
    r"(?<![\w.,])(?:(?:\d0|1\d{2}0|20\d0)er(?:\s+(?i:jahren?))?|(?:1\d{2}0|20\d0)s)(?!\w)"
    r"|~?\d[\d.,]*\s*(?:BP|v\.\s?Chr\.|n\.\s?Chr\.|BC|AD|BCE|CE)(?![\w])"
)
"""A decade ("den 90er Jahren", "the 1990s") or a year of an era ("~11.600 BP", "500 v. Chr.", "44 BC")."""
_AGO = re.compile(
    r"\bvor\s+(?:(?:etwa|rund|über|mehr als|ungefähr|knapp|fast)\s+)?[\d.,]+\s+(?:(?:millionen|milliarden)\s+)?"
    r"jahren\b|\b[\d.,]+\s+(?:(?:million|billion)\s+)?years\s+ago\b",
    re.I,
)


def number_spans(text: str) -> Spans:
    """Numbers with their qualifier, scale and unit ("fast 8.000 Menschen", "2,5 bis 3,5 Millionen Euro",
    "79,9 Prozent"), not those that are part of a date."""
    days = date_spans(text)
    found = []
    for m in _NUMBER.finditer(text):
        if not any(start <= m.start() < end or start < m.end() <= end for start, end in days):
            found.append((m.start(), m.end()))
    return found


def with_counted_noun(text: str, start: int, end: int) -> int:
    """Where a number's span ends with what it counts or measures: a number stands with its unit ("über 1.000
    Quadratkilometer", "10 Millionen US-Dollar", "1553 anerkannte Asylbewerber", "1,000 square kilometres"). In
    German the counted noun is the capitalised word after the number (up to two inflected adjectives between);
    a span that already ends with a known unit ("79,9 Prozent") is left as it is, but a measure of an amount goes
    on with what it measures ("5.000 Hektar Wald", "200 tons of steel"), and a rate after either ("pro Kopf")."""
    span = text[start:end]
    if not (_ENDS_WITH_UNIT.search(span) or _ENDS_WITH_NOUN.search(span)):
        counted = _COUNTED.match(text, end)
        if counted is None:
            return end
        end = counted.end()
    if _ENDS_WITH_MEASURE.search(text, start, end) and (measured := _MEASURED.match(text, end)):
        end = measured.end()
    tail = _TAILS.match(text, end)
    return tail.end() if tail else end


def names_a_rate(text: str) -> bool:
    """Whether `text` speaks of a rate ("pro Monat", "die jährlichen Gebühren", "km/h", "a year"): a question that
    does asks for a number per span of time or head, which a total does not give (`aspects.fits`)."""
    return bool(_RATE_WORDS.search(text))


def without_rate(span: str) -> str:
    """A number's span without the rate its unit goes on with: "3500 Kilometer pro Stunde" is a speed, no span of
    time, "1.000 Menschen am Tag" a count."""
    return _RATE_AT_END.sub("", span)


_TAILS = re.compile(rf"(?:{_UNIT_TAIL}){{1,2}}", re.IGNORECASE)
_RATE_AT_END = re.compile(rf"(?:{_RATE})+$", re.IGNORECASE)
_RATE_WORDS = re.compile(
    rf"\b(?:(?:pro|je|per|a|an|each)\s+{_PER}\b|am\s+tag\b|im\s+monat\b|"
    r"(?:jährlich|monatlich|wöchentlich|täglich|stündlich|yearly|annual|monthly|weekly|daily|hourly)\w*)"
    r"|/(?:h|s|min|std|d|a|l|kg|km|m|m²|m³|qm|ha)(?![\w/-])",
    re.IGNORECASE,
)
_ENDS_WITH_UNIT = re.compile(rf"(?<![\w]){_WITH_UNIT}$", re.IGNORECASE)
_ENDS_WITH_MEASURE = re.compile(rf"(?<![\w]){_MEASURE}$", re.IGNORECASE)
_ENDS_WITH_NOUN = re.compile(rf"(?<![\w])(?!(?i:{_SCALE})$)[A-ZÄÖÜ]\w*$")
"""A span that ends with a noun ("ein Viertel", "die Hälfte") has what it counts; a scale ("10 Millionen") not yet."""
_ADJECTIVES = r"(?:(?!" + _DETERMINERS + r")[a-zäöüß]+(?:e|en|er|es|em)\s+){0,2}"
_GERMAN_NOUN = r"(?!(?:" + _TIME_NOUNS + r")\b)[A-ZÄÖÜ][^\W\d]*(?:-[^\W\d]+)*(?![\w-])"
_COUNTED = re.compile(
    rf"\s+(?:{_ADJECTIVES}{_GERMAN_NOUN}(?!\s+[A-ZÄÖÜ])"  # no name's first word ("zwei Major League")
    r"|(?:square\s+|cubic\s+)?(?:kilomet(?:re|er)s?|met(?:re|er)s?|miles?|hectares?|acres?|feet|inch(?:es)?|"
    r"lit(?:re|er)s?|gallons?|soldiers|troops|residents|inhabitants|refugees|votes|seats|members|employees|"
    r"students|points))(?![\w-])"
)
"""The counted noun after a number, German (capitalised; not a day or month, which `dates` reads) or a few English
units and counted nouns (English nouns are not capitalised, so only these)."""
_DIMENSIONS = r"(?:groß|schwer|lang|breit|hoch|hoh|tief|dick|weit|alt|kein)\w*\b"
"""An adjective of size after a measure makes it the size of the noun after it ("700 Quadratmeter großen Halle",
"50.000 Tonnen schwere Schiff"): the noun is then no amount of what was measured."""
_MEASURED = re.compile(
    rf"\s+(?:(?!{_DIMENSIONS}){_ADJECTIVES}{_GERMAN_NOUN}"
    r"|of\s+(?!(?:the|a|an|this|that|these|those|its|their|his|her|our|which|whom|them|it)\b)"
    r"(?:[a-z]+(?:al|ic|ous|ive|ed|ern|ary)\s+)?[a-z]+(?![\w-]))"
)
"""What a measure measures: a German noun (a capitalised word after it, though a name's first word would be one
too: "Hektar Wald") or an English "of" and a noun, with an adjective before it ("of tropical forest")."""


_QUOTED_NAME = re.compile(r"[„“\"»«‚']([A-ZÄÖÜ0-9][^„“\"»«‚'\n]{0,48}?)[“”\"«»‘']")
"""A name in quotation marks („Blauer Falke“): what a bus, a ship, an operation or a law is called."""


def name_spans(text: str) -> Spans:
    """Names: runs of capitalised words that hold a proper noun ("Robert Tönnies", "Carolina Panthers": HanTa
    knows "Carolina" but not that "Panthers" is part of a name; "Peyton Manning"), acronyms ("NFL"), and names
    in quotation marks. The first word of a sentence counts too: names often open one."""
    runs: Spans = [(m.start(1), m.end(1)) for m in _QUOTED_NAME.finditer(text)]
    words = [m for m in _CAPITALISED.finditer(text) if not any(start <= m.start() < end for start, end in runs)]
    group: list[re.Match[str]] = []
    for word in [*words, None]:
        if word is not None and group and text[group[-1].end() : word.start()] in (" ", "\u00a0"):
            group.append(word)
            continue
        if group and any(is_name_word(m.group()) or _ACRONYM.fullmatch(m.group()) for m in group):
            runs.append(_name_run(group))
        group = [word] if word is not None else []
    return _without_short_forms(sorted(runs), text)


def _without_short_forms(runs: Spans, text: str) -> Spans:
    """A name's short form in brackets right after it ("Die Financial Times (FT)", "Weltgesundheitsorganisation
    (WHO)") is the same name again: the name is the answer, not its short form."""
    ends = {end for _, end in runs}
    return [
        (start, end)
        for start, end in runs
        if not (start >= 2 and text[start - 2 : start] == " (" and text[end : end + 1] == ")" and start - 2 in ends)
    ]


def _name_run(group: list[re.Match[str]]) -> tuple[int, int]:
    """The run from its first to its last name word or acronym, with the capitalised words between them and
    one capitalised word after a name ("Carolina Panthers"), but no common noun before it ("Präsident Joe
    Biden" is the name "Joe Biden")."""
    named = [n for n, m in enumerate(group) if is_name_word(m.group()) or _ACRONYM.fullmatch(m.group())]
    first, last = named[0], min(named[-1] + 1, len(group) - 1)
    return group[first].start(), group[last].end()


def place_spans(text: str) -> Spans:
    """A preposition of place followed by a capitalised word ("nach Thessaloniki", "in einem Erkelenzer
    Krankenhaus", "aus Afghanistan"), but not a day ("am Montag", "im Juni")."""
    days = date_spans(text)
    return [
        (m.start(), m.end())
        for m in _PLACE.finditer(text)
        if not _TIME_WORD.search(m.group()) and not any(start < m.end() and m.start() < end for start, end in days)
    ]


_TIME_WORD = re.compile(
    r"\b(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonnabend|Sonntag|Wochenende|Januar|Jänner|Februar|"
    r"März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember|Frühjahr|Frühling|Sommer|Herbst|Winter|"
    r"Anfang|Ende|Mitte|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|June|"
    r"July|October|December|Spring|Summer|Autumn|Fall)\b"
)
"""Words of time after a preposition ("im Juni", "am Wochenende", "im Frühjahr") name no place."""


def cause_spans(text: str) -> Spans:
    """Causal clauses ("weil …", "wegen …", "auf Drängen …", "because …"). A German causal preposition governs a
    noun phrase, which ends with its last noun before the clause's comma: the verbs after it (German puts them
    last) are no part of the cause ("durch den Angriff auf das Gebiet Kursk unterbrochen" gives "durch den
    Angriff auf das Gebiet Kursk")."""
    found = []
    for m in _CAUSE.finditer(text):
        end = m.end()
        if preposition := _GERMAN_PREPOSITION.match(m.group()):
            end = m.start() + _noun_phrase_end(m.group().split(",", 1)[0], preposition.end())
        if end - m.start() > 6:
            found.append((m.start(), end))
    return found


def _noun_phrase_end(phrase: str, start: int) -> int:
    """Where the noun phrase after a preposition ends: at its last noun before the first word that cannot be part
    of it (a finite verb: "Auf Drängen griechischer Sicherheitsbeamter sah sich …"), with the prepositional phrases
    that name it further ("den Angriff auf das russische Gebiet Kursk")."""
    end = len(phrase.rstrip())
    for word in _WORD.finditer(phrase, start):
        text = word.group()
        if text[:1].islower() and text not in _NOUN_PHRASE_WORDS and not _INFLECTED.search(text):
            end = word.start()
            break
    nouns = [m for m in _CAPITALISED.finditer(phrase, start, end)]
    return nouns[-1].end() if nouns else len(phrase.rstrip())


_NOUN_PHRASE_WORDS = frozenset(
    "der die das den dem des ein eine einen einem einer eines kein keine keinen keinem keiner seines seiner ihrer "
    "ihres auf an in im am aus bei mit von vom zum zur für gegen über um zwischen nach vor und oder sowie".split()
)
_INFLECTED = re.compile(r"(?:e|en|er|es|em)$")
"""An adjective before its noun ends like one ("ukrainischen", "griechischer")."""

_GERMAN_PREPOSITION = re.compile(
    r"(?:wegen|aufgrund|auf grund|angesichts|infolge|auf drängen|durch (?:den|die|das|einen|eine|ein))\b", re.I
)


FINDERS: dict[AnswerKind, Callable[[str], Spans]] = {
    "day": day_spans,
    "number": number_spans,
    "name": name_spans,
    "place": place_spans,
    "cause": cause_spans,
}
"""The kinds a span can be found for; a choice or an open question keeps the answer it had."""


def answer_spans(text: str, kind: AnswerKind, question: str) -> Spans:
    """The spans of `kind` in `text` that bring something the question does not already hold."""
    finder = FINDERS.get(kind)
    if finder is None:
        return []
    asked = _words(question)
    return [(start, end) for start, end in finder(text) if _words(text[start:end]) - asked - _FILLER]


_WORD = re.compile(r"[\wäöüß]+", re.IGNORECASE)
_FILLER = frozenset(
    "in im am an auf aus bei nach von vom zum zur ins der die das dem den des ein eine einem einer eines the a an "
    "of at to from on um uhr seit bis ab mit weil da wegen because due".split()
)


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}
