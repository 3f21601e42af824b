"""Questions about a whole article ("Worum geht es in dem Artikel?"): no single sentence answers them better
than the article's lead, so the answerer quotes that instead of searching for a best sentence."""

from __future__ import annotations

import re

_OVERVIEW = re.compile(
    "(?:"
    + "|".join(
        (
            r"worum geht(?: es|'s)(?: (?:in|im|bei) (?:dem |diesem )?(?:artikel|text|bericht|beitrag))?",
            r"(?:worüber|wovon) (?:berichtet|handelt|schreibt|informiert) (?:der|die|das|dieser|diese|dieses) \w+",
            r"was steht (?:im|in (?:dem|diesem)) (?:artikel|text|bericht|beitrag)",
            r"(?:bitte )?fass(?:e|en sie)? (?:den|diesen|die|das) \w+ zusammen",
            r"(?:gib|gebt|geben sie) (?:mir |uns )?eine zusammenfassung(?: (?:des|dieses) \w+)?",
            r"what(?:'s| is) (?:this|the) (?:article|text|story|piece|report) about",
            r"(?:please )?summari[sz]e (?:this|the) (?:article|text|story|piece|report)",
        )
    )
    + r")[\s?.!]*",
    re.IGNORECASE,
)


def is_overview_question(question: str) -> bool:
    """'Worum geht es?' asks what an article is about as a whole: no single sentence answers that better than
    its lead. Only whole-article phrasings count: 'Worum geht es bei den Gesprächen?' is a question like others."""
    return _OVERVIEW.fullmatch(" ".join(question.split())) is not None
