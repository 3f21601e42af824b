"""Sample articles shared by the tests: the chat's (server-side and browser) and the towns many processes index."""

from __future__ import annotations

from pathlib import Path

BUS = """---
title: Stadtwerke Musterstadt testen Wasserstoffbus
source: Musterstädter Zeitung
published: 2024-11-02
---
Die Stadtwerke Musterstadt haben am Montag ihren ersten Wasserstoffbus in Betrieb genommen. Der Bus trägt den Namen
„Blauer Falke“ und fährt auf der Linie 7 zwischen Bahnhof und Universität. Getankt wird an einer neuen Station im
Hafen, die mit Strom aus dem Windpark Nordfeld versorgt wird.
"""


TOWNS = [
    ("Quellenau", "ein Museum für alte Schreibmaschinen", "Bürgermeisterin Hella Voss"),
    ("Brakwitz", "eine Seilbahn über den Stausee", "Landrat Ottmar Fenske"),
    ("Ellerstein", "ein Freibad mit Solarheizung", "Stadträtin Ilka Marten"),
    ("Gorrin", "eine Bibliothek im alten Bahnhof", "Bürgermeister Jens Tolle"),
    ("Hammerlund", "einen Radschnellweg nach Kiel", "Ortsvorsteherin Pia Brand"),
    ("Kettwiese", "eine Markthalle für Bauern", "Dezernent Udo Rasch"),
    ("Lindrach", "ein Kino für Stummfilme", "Bürgermeisterin Vera Lenk"),
    ("Morsbeck", "eine Sternwarte auf dem Kirchberg", "Amtsleiter Kai Dorn"),
    ("Nettelhof", "einen Kletterwald am Fluss", "Landrätin Britta Ohm"),
    ("Oberzell", "eine Fähre aus Holz", "Bürgermeister Rolf Abt"),
    ("Pellingen", "ein Theater in der Scheune", "Stadtrat Malte Frey"),
    ("Rabenfurt", "eine Eisbahn aus Kunststoff", "Bürgermeisterin Ute Kramm"),
    ("Sellwitz", "ein Gewächshaus für Bananen", "Ortsvorsteher Timo Graf"),
    ("Tannhagen", "eine Brauerei im Rathauskeller", "Dezernentin Lea Hoff"),
    ("Ulmenried", "einen Zoo für Haustiere", "Bürgermeister Finn Haas"),
    ("Wendhusen", "ein Hallenbad mit Wellenanlage", "Landrat Egon Stich"),
]


def town_article(n: int) -> str:
    town, project, person = TOWNS[n]
    return (
        f"---\ntitle: {town} plant {project}\nsource: Landbote\npublished: 2024-05-{n + 1:02}\n---\n"
        f"Die Gemeinde {town} baut {project}. Das hat {person} am Dienstag im Gemeinderat angekündigt. "
        f"Der Bau soll im Frühjahr beginnen und {n + 2} Millionen Euro kosten.\n\n"
        f"Die Anwohner von {town} hatten sich seit Jahren dafür eingesetzt. Eine Bürgerinitiative sammelte "
        f"{400 + n * 37} Unterschriften. Kritiker halten die Kosten für zu hoch und fordern einen Bürgerentscheid.\n\n"
        f"Nach den Plänen soll das Projekt in {town} im Sommer {2026 + n % 3} eröffnen. Die Landesregierung "
        f"übernimmt die Hälfte der Kosten aus dem Förderprogramm für den ländlichen Raum."
    )


def question_for(n: int) -> str:
    town, _, _ = TOWNS[n]
    return f"Was baut die Gemeinde {town}?"


def write_towns(folder: Path, numbers: range) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in numbers:
        (folder / f"town-{n:02}.md").write_text(town_article(n), encoding="utf-8")
    return folder
