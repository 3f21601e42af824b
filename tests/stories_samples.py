"""Tiny hand-written articles for the story tests: two stories from several outlets over days, and other news."""

from __future__ import annotations

from assistant.articles import Article

FIRE = "Brand im Lager Kara Tepe"
STRIKE = "Bahnstreik der GDL"


def _article(aid: str, title: str, source: str, day: str, text: str) -> Article:
    return Article(id=aid, title=title, source=source, published=day, text=text, url=f"https://{source}/{aid}")


ARTICLES = [
    _article(
        "fire-1",
        "Großbrand im Flüchtlingslager Kara Tepe auf Lesbos",
        "nordkurier.de",
        "2024-03-10",
        "In der Nacht zum Sonntag ist im Flüchtlingslager Kara Tepe auf der griechischen Insel Lesbos ein Großbrand "
        "ausgebrochen. Nach Angaben der Feuerwehr brannten rund 300 Zelte nieder. Verletzt wurde nach ersten "
        "Berichten niemand. Die Bewohner des Lagers flohen in die umliegenden Olivenhaine.\n"
        "Die Brandursache ist noch unklar. Die Polizei ermittelt wegen Brandstiftung.",
    ),
    _article(
        "fire-2",
        "Feuer zerstört Zelte im Lager Kara Tepe",
        "suedkurier.de",
        "2024-03-11",
        "Ein Großbrand hat im Flüchtlingslager Kara Tepe auf Lesbos große Teile des Lagers zerstört. Nach Angaben "
        "der Feuerwehr brannten rund 350 Zelte nieder. Verletzt wurde nach ersten Berichten niemand.\n"
        "Griechenlands Migrationsminister Dimitris Kairidis kündigte an, die obdachlos gewordenen Bewohner "
        "vorübergehend auf einer Fähre unterzubringen.",
    ),
    _article(
        "fire-3",
        "Nach dem Brand auf Lesbos: Hilfe für Kara Tepe",
        "westkurier.de",
        "2024-03-12",
        "Nach dem Großbrand im Flüchtlingslager Kara Tepe auf Lesbos sagt die Bundesregierung Hilfe zu. Die Polizei "
        "ermittelt wegen Brandstiftung. Griechenlands Migrationsminister Notis Mitarakis kündigte an, die "
        "obdachlos gewordenen Bewohner vorübergehend auf einer Fähre unterzubringen.\n"
        "Das Technische Hilfswerk schickt Zelte und Feldbetten nach Lesbos.",
    ),
    _article(
        "strike-1",
        "GDL ruft zum Bahnstreik auf",
        "nordkurier.de",
        "2024-03-11",
        "Die Lokführergewerkschaft GDL hat ihre Mitglieder zu einem Streik im Personenverkehr der Deutschen Bahn "
        "aufgerufen. Der Ausstand soll am Dienstag um zwei Uhr beginnen und 35 Stunden dauern.\n"
        "GDL-Chef Claus Weselsky begründete den Streik mit dem Stillstand der Tarifverhandlungen.",
    ),
    _article(
        "strike-2",
        "Bahnstreik: Fernverkehr steht still",
        "suedkurier.de",
        "2024-03-12",
        "Der Streik der Lokführergewerkschaft GDL legt den Fernverkehr der Deutschen Bahn weitgehend lahm. Nur "
        "jeder fünfte Fernzug fährt nach Angaben der Bahn.\n"
        "GDL-Chef Claus Weselsky begründete den Streik mit dem Stillstand der Tarifverhandlungen.",
    ),
    _article(
        "weather-1",
        "Frühling kommt mit 20 Grad",
        "westkurier.de",
        "2024-03-12",
        "Der Deutsche Wetterdienst erwartet für das Wochenende im Südwesten Temperaturen von bis zu 20 Grad. "
        "Im Norden bleibt es dagegen wechselhaft mit Schauern und Wind.\n"
        "Gärtner raten, mit dem Pflanzen empfindlicher Blumen noch bis nach den Eisheiligen zu warten.",
    ),
]

LATE = [
    _article(
        "fire-late",
        "Lesbos: Brand im Lager Kara Tepe",
        "ostkurier.de",
        "2024-03-10",
        "Im Flüchtlingslager Kara Tepe auf Lesbos ist in der Nacht ein Großbrand ausgebrochen. Die Feuerwehr "
        "kämpft gegen die Flammen, zahlreiche Zelte brennen. Die Bewohner des Lagers flohen in die umliegenden "
        "Olivenhaine.",
    )
]
