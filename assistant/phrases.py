"""Every sentence the assistant writes to a user itself, in German and English, in one table.

Answers are written in the asker's language (`assistant.language.guess_language`); the chat's own frame (status
panel, upload report) is German. Keeping the words here means a wording changes in one place for the CLI, the
chat and the library alike, and a test checks that each key exists in every language. Messages of errors stay
with the error: they are English and name what to change.
"""

from __future__ import annotations

LANGUAGES = ("de", "en")
FALLBACK = "de"
"""The product is German first: a language without a column is answered in German."""

PHRASES: dict[str, dict[str, str]] = {
    "de": {
        # answers
        "not_in_articles": "Dazu sagen die Artikel nichts. Unten stehen die Passagen, die der Frage am nächsten "
        "kommen.",
        "missing_day": "Die Artikel nennen dazu keinen Tag und keine Zeit. Unten stehen die Passagen, die der Frage "
        "am nächsten kommen.",
        "missing_number": "Die Artikel nennen dazu keine Zahl. Unten stehen die Passagen, die der Frage am nächsten "
        "kommen.",
        "missing_name": "Die Artikel nennen dazu keinen Namen. Unten stehen die Passagen, die der Frage am nächsten "
        "kommen.",
        "missing_place": "Die Artikel nennen dazu keinen Ort. Unten stehen die Passagen, die der Frage am nächsten "
        "kommen.",
        "missing_cause": "Die Artikel nennen dazu keinen Grund. Unten stehen die Passagen, die der Frage am nächsten "
        "kommen.",
        "short_answer": "Kurz",
        "model_unavailable": "Das Sprachmodell war nicht erreichbar oder lieferte keine brauchbare Antwort; "
        "hier die Antwort aus den Zitaten der Artikel.",
        "unsupported": "⚠ Nicht durch die Artikel belegt:",
        "unsupported_notice": "Keines der Zitate des Sprachmodells steht so in den Artikeln; daneben die Zitate aus "
        "den Artikeln selbst.",
        "quote_removed": "[Zitat entfernt: nicht in der Quelle gefunden]",
        "quotes_dropped": "{n} Zitat(e) des Sprachmodells standen nicht in der angegebenen Quelle und wurden entfernt.",
        "checked_answer": "── Geprüfte Antwort (nur belegte Zitate) ──",
        # an answer's sources
        "sources": "Quellen",
        "also_in": "auch in",
        "timeline_empty": "Zu dieser Frage finden die Artikel keine datierten Ereignisse.",
        "timeline_intro": "Chronologie aus den Artikeln:",
        "quote_day": "spricht vom {day}, erschienen am {published}",
        "quote_speaks_of": "spricht vom {day}",
        "searched": "Gesucht wurde",
        "detected": "Frage auf {language} erkannt, Antwort auf {language}",
        "original": "Zitate im Original ({language})",
        "whole": "Ganzen Artikel zeigen",
        "nearest": "Passagen, die der Frage am nächsten kommen",
        "offsets": "Zitat: Zeichen {start}–{end} des Artikels",
        # the login
        "login_wait": "Zu viele Fehlversuche für diesen Namen: er muss {seconds} s warten, bevor ein Passwort wieder "
        "geprüft wird.",
        "login_busy": "Gerade werden zu viele Anmeldungen geprüft: bitte gleich noch einmal versuchen.",
        # the chat
        "searching": "Suche in den Artikeln …",
        "empty_question": "Bitte geben Sie eine Frage ein.",
        "no_index": "Es sind noch keine Artikel indexiert. Laden Sie links unter „Artikel hinzufügen“ Dateien hoch "
        "({types}) – danach beantworte ich Fragen dazu.",
        "failure": "Im Assistenten ist etwas schiefgegangen",
        "problem": "Das hat nicht geklappt",
        "brand": "Nachrichten-Assistent",
        "tagline": "Antworten aus Ihren Artikeln – jede mit wörtlichem Zitat und Quelle.",
        "ask_anything": "Fragen Sie etwas zu den indexierten Artikeln.",
        # the chat's frame: labels of its boxes and options
        "question_box": "Frage zu den Artikeln stellen … / Ask about the articles …",
        "ask_button": "Fragen",
        "index_title": "Index",
        "add_articles": "Artikel hinzufügen",
        "upload_types": "{types} – gleicher Dateiname = Aktualisierung",
        "address_box": "… oder Adressen: Artikelseite oder RSS-/Atom-Feed, eine pro Zeile",
        "fetch_button": "Abrufen",
        "search_options": "Suchoptionen",
        "passages_per_question": "Passagen pro Frage",
        "only_sources": "Nur diese Quellen",
        "empty_is_all": "leer = alle",
        "published_from": "Veröffentlicht ab",
        "published_to": "Veröffentlicht bis",
        "date_format": "JJJJ-MM-TT",
        "ask_how": "Deutsch oder Englisch; Rückfragen wie „Und wer sollte vermitteln?“ verstehe ich im Zusammenhang.",
        # the chat's status panel and upload report
        "status_added": "hinzugefügt",
        "status_updated": "aktualisiert",
        "status_unchanged": "unverändert",
        "status_refused": "abgelehnt",
        "articles": "Artikel",
        "chunks": "Abschnitte",
        "model": "Modell",
        "last_changed": "Zuletzt geändert",
        "never": "noch nie",
        "just_now": "gerade eben",
        "minutes_ago": "vor {n} Min.",
        "hours_ago": "vor {n} Std.",
        # the stories view
        "chat_tab": "Chat",
        "stories_tab": "Geschichten",
        "stories_pick": "Aktuelle Geschichten",
        "stories_since": "Erschienen ab",
        "stories_until": "Erschienen bis",
        "stories_outlets": "Nur aus diesen Quellen",
        "stories_filter": "Filtern",
        "stories_found": "{n} Geschichten gefunden. Wählen Sie links eine aus.",
        "stories_found_more": "{n} Geschichten gefunden (die neuesten {shown} stehen links). Wählen Sie eine aus.",
        "stories_none_filtered": "Keine Geschichte mit Artikeln in diesem Zeitraum aus diesen Quellen.",
        "stories_empty_window": "Der Zeitraum ist leer: {since} liegt nach {until}.",
        "stories_none": "Noch keine Geschichten: Sie entstehen, sobald Artikel indexiert werden.",
        "story_choose": "Wählen Sie links eine Geschichte, um ihre Quellen und ihren Verlauf zu sehen.",
        "story_count": "{n} Artikel",
        "saved_title": "Gespeicherte Fragen: was ist neu seit dem letzten Blick?",
        "saved_question": "Frage zum Speichern",
        "saved_add": "Frage speichern",
        "saved_pick": "Gespeicherte Frage",
        "saved_look": "Was ist neu?",
        "saved_remove": "Frage entfernen",
        "saved_removed": "Entfernt: „{question}“",
        "saved_choose": "Speichern oder wählen Sie eine Frage und fragen Sie, was neu ist.",
        "saved_nothing": "Nichts Neues seit dem letzten Blick.",
        "saved_new": "{n} neue Artikel",
        "saved_earlier": "vorher",
        # outlet comparison and "what is new" in the chat
        "compare_searching": "Ich vergleiche, wie die Quellen darüber berichten …",
        "compare_intro": "So berichten {n} Quellen über „{title}“",
        "compare_shared": "Von mehreren Quellen berichtet",
        "compare_single": "Nur in einer Quelle",
        "compare_only_in": "nur in {source}",
        "compare_differences": "Wo sich die Darstellungen unterscheiden",
        "compare_change_numbers": "andere Zahlen",
        "compare_change_dates": "andere Daten",
        "compare_change_names": "andere Namen",
        "compare_no_differences": "Keine Aussagen mit abweichenden Zahlen, Daten oder Namen gefunden.",
        "compare_none": "Zu dieser Frage finde ich keine Geschichte, deren Berichte ich vergleichen könnte.",
        "compare_one_outlet": "Diese Geschichte kommt nur aus einer Quelle ({source}): es gibt nichts zu vergleichen.",
        "article_link": "Artikel öffnen",
        "digest_searching": "Ich suche, was seit {since} neu ist …",
        "digest_since_day": "dem {day}",
        "digest_since_visit": "Ihrem letzten Besuch ({when}; seitdem aufgenommene Artikel)",
        "digest_intro": "Neu seit {since}: {stories} Geschichte(n) mit {articles} neuen Artikeln",
        "digest_none": "Seit {since} ist nichts Neues erschienen.",
        "digest_none_arrived": "Seit {since} ist nichts Neues hinzugekommen.",
        "digest_first_visit": "Ich kenne noch keinen früheren Besuch von Ihnen. Fragen Sie zum Beispiel „Was ist neu "
        "seit gestern?“ oder „Was ist neu seit dem 1. Juni?“",
        "digest_update": "Aktualisiert ({change}), vorher",
        "digest_now": "jetzt",
        "digest_left_out": "{n} Wiederholungen ausgelassen",
        "digest_more": "{n} weitere neue Sätze",
        "digest_more_stories": "… und {n} weitere Geschichten (alle mit „assistant digest“).",
        "digest_title": "Neu seit …",
        "digest_since_box": "Neu seit (gestern, 3 Tagen, 1.6.2024, 1. Juni, letzter Besuch)",
        "digest_show": "Zeigen",
        "digest_yesterday": "gestern",
        "digest_hint": "Geben Sie einen Tag oder eine Dauer ein und wählen Sie „Zeigen“.",
        "digest_bad_since": "„{text}“ verstehe ich nicht als Tag: möglich sind etwa gestern, 3 Tage, 2w, 1.6.2024, "
        "1. Juni oder letzter Besuch.",
        "first_seen": "Zuerst gesehen",
        "last_update": "Zuletzt aktualisiert",
        "outlets": "Quellen",
        "outlet": "Quelle",
        "first_report": "Erster Bericht",
        "timeline": "Verlauf in Zitaten",
        "per_day": "Artikel pro Tag und Quelle",
        "timeline_as_of": "Stand: {day}",
        "timeline_per_day": "Artikel pro Tag; markiert: die Tage der Einträge",
        "timeline_published": "veröffentlicht",
    },
    "en": {
        "not_in_articles": "The articles don't say. The passages closest to the question are listed below.",
        "missing_day": "The articles name no day or time for this. The passages closest to the question are listed "
        "below.",
        "missing_number": "The articles name no number for this. The passages closest to the question are listed "
        "below.",
        "missing_name": "The articles name no name for this. The passages closest to the question are listed below.",
        "missing_place": "The articles name no place for this. The passages closest to the question are listed below.",
        "missing_cause": "The articles give no reason for this. The passages closest to the question are listed below.",
        "short_answer": "In short",
        "model_unavailable": "The language model was unavailable or gave no usable answer; here is the answer from "
        "the articles' quotes.",
        "unsupported": "⚠ Not supported by the articles:",
        "unsupported_notice": "None of the language model's quotes is in the articles as written; beside it, the "
        "articles' own quotes.",
        "quote_removed": "[quote removed: not found in the source]",
        "quotes_dropped": "{n} of the language model's quotes were not in the cited source and were removed.",
        "checked_answer": "── Checked answer (verified quotes only) ──",
        "sources": "Sources",
        "also_in": "also in",
        "timeline_empty": "The articles hold no dated events for this question.",
        "timeline_intro": "Timeline from the articles:",
        "quote_day": "speaks of {day}, published {published}",
        "quote_speaks_of": "speaks of {day}",
        "searched": "Searched for",
        "detected": "Question detected as {language}, answering in {language}",
        "original": "Quotes in the original ({language})",
        "whole": "Show the whole article",
        "nearest": "Passages closest to the question",
        "offsets": "Quote: characters {start}–{end} of the article",
        # the login
        "login_wait": "Too many failed attempts for this name: it must wait {seconds} s before a password is "
        "checked again.",
        "login_busy": "Too many logins are being checked right now: please try again in a moment.",
        "searching": "Searching the articles …",
        "empty_question": "Please type a question.",
        "no_index": "No articles are indexed yet. Upload files on the left under “Artikel hinzufügen” "
        "({types}), then ask about them.",
        "failure": "Something went wrong inside the assistant",
        "problem": "That did not work",
        "brand": "News assistant",
        "tagline": "Answers from your articles, each with a verbatim quote and its source.",
        "ask_anything": "Ask something about the indexed articles.",
        # the chat's frame: labels of its boxes and options
        "question_box": "Ask about the articles …",
        "ask_button": "Ask",
        "index_title": "Index",
        "add_articles": "Add articles",
        "upload_types": "{types} – the same file name updates it",
        "address_box": "… or addresses: an article page or an RSS/Atom feed, one per line",
        "fetch_button": "Fetch",
        "search_options": "Search options",
        "passages_per_question": "Passages per question",
        "only_sources": "Only these sources",
        "empty_is_all": "empty = all",
        "published_from": "Published from",
        "published_to": "Published until",
        "date_format": "YYYY-MM-DD",
        "ask_how": "German or English; I understand follow-ups like “And who was to mediate?” in context.",
        "status_added": "added",
        "status_updated": "updated",
        "status_unchanged": "unchanged",
        "status_refused": "refused",
        "articles": "Articles",
        "chunks": "Chunks",
        "model": "Model",
        "last_changed": "Last changed",
        "never": "never",
        "just_now": "just now",
        "minutes_ago": "{n} min ago",
        "hours_ago": "{n} h ago",
        "chat_tab": "Chat",
        "stories_tab": "Stories",
        "stories_pick": "Current stories",
        "stories_since": "Published from",
        "stories_until": "Published until",
        "stories_outlets": "Only from these outlets",
        "stories_filter": "Filter",
        "stories_found": "{n} stories found. Choose one on the left.",
        "stories_found_more": "{n} stories found (the latest {shown} are listed on the left). Choose one.",
        "stories_none_filtered": "No story with articles in this window from these outlets.",
        "stories_empty_window": "The window is empty: {since} is after {until}.",
        "stories_none": "No stories yet: they appear as soon as articles are indexed.",
        "story_choose": "Choose a story on the left to see its outlets and how it unfolded.",
        "story_count": "{n} articles",
        "saved_title": "Saved questions: what is new since the last look?",
        "saved_question": "Question to save",
        "saved_add": "Save question",
        "saved_pick": "Saved question",
        "saved_look": "What is new?",
        "saved_remove": "Remove question",
        "saved_removed": "Removed: “{question}”",
        "saved_choose": "Save or choose a question and ask what is new.",
        "saved_nothing": "Nothing new since the last look.",
        "saved_new": "{n} new articles",
        "saved_earlier": "earlier",
        # outlet comparison and "what is new" in the chat
        "compare_searching": "Comparing how the outlets report on it …",
        "compare_intro": "How {n} outlets report on “{title}”",
        "compare_shared": "Reported by several outlets",
        "compare_single": "Reported by one outlet only",
        "compare_only_in": "only in {source}",
        "compare_differences": "Where the accounts differ",
        "compare_change_numbers": "different numbers",
        "compare_change_dates": "different dates",
        "compare_change_names": "different names",
        "compare_no_differences": "No statements with differing numbers, dates or names found.",
        "compare_none": "I find no story for this question whose reports I could compare.",
        "compare_one_outlet": "This story comes from one outlet only ({source}): there is nothing to compare.",
        "article_link": "Open article",
        "digest_searching": "Looking for what is new since {since} …",
        "digest_since_day": "{day}",
        "digest_since_visit": "your last visit ({when}; articles indexed since)",
        "digest_intro": "New since {since}: {stories} story(ies) with {articles} new articles",
        "digest_none": "Nothing new has been published since {since}.",
        "digest_none_arrived": "Nothing new has come in since {since}.",
        "digest_first_visit": "I know of no earlier visit of yours. Ask, for example, “What is new since yesterday?” "
        "or “What is new since June 1?”",
        "digest_update": "Updated ({change}), before",
        "digest_now": "now",
        "digest_left_out": "{n} repeats left out",
        "digest_more": "{n} more new sentences",
        "digest_more_stories": "… and {n} more stories (all with “assistant digest”).",
        "digest_title": "New since …",
        "digest_since_box": "New since (yesterday, 3 days, 2024-06-01, June 1, last visit)",
        "digest_show": "Show",
        "digest_yesterday": "yesterday",
        "digest_hint": "Type a day or a duration and choose “Show”.",
        "digest_bad_since": "I do not understand “{text}” as a day: try yesterday, 3 days, 2w, 2024-06-01, June 1 or "
        "last visit.",
        "first_seen": "First seen",
        "last_update": "Last update",
        "outlets": "Outlets",
        "outlet": "Outlet",
        "first_report": "First report",
        "timeline": "Timeline in quotes",
        "per_day": "Articles per day and outlet",
        "timeline_as_of": "As of: {day}",
        "timeline_per_day": "Articles per day; marked: the entries' days",
        "timeline_published": "published",
    },
}

LANGUAGE_NAMES: dict[str, dict[str, str]] = {
    "de": {"de": "Deutsch", "en": "Englisch"},
    "en": {"de": "German", "en": "English"},
}
"""Language names in the asker's language: LANGUAGE_NAMES[asked][named] (the model's prompt uses the English)."""


def phrases_for(language: str) -> dict[str, str]:
    """The whole column of `language` (German for a language without one)."""
    return PHRASES.get(language, PHRASES[FALLBACK])


def phrase(language: str, key: str, **values: object) -> str:
    """The phrase `key` in `language`, its ``{placeholders}`` filled from `values`."""
    text = phrases_for(language)[key]
    return text.format(**values) if values else text


def names_in(language: str) -> dict[str, str]:
    """Language names as a speaker of `language` writes them."""
    return LANGUAGE_NAMES.get(language, LANGUAGE_NAMES[FALLBACK])
