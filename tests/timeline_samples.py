"""Dated articles shared by the timeline tests (library, routes, browser): a story told by three outlets."""

from __future__ import annotations

from assistant import Article

BRIDGE = [  # a story told by three outlets over four weeks, with sentences that name their day
    Article(
        id="a-sperrung",
        source="bote.de",
        title="Brücke in Neustadt gesperrt",
        published="2024-03-07",  # a Thursday
        text="Brücke in Neustadt gesperrt\n\nAm Mittwoch sperrte die Stadt Neustadt die Brücke über die Lahn, weil "
        "Prüfer tiefe Risse im Beton gefunden hatten. Autofahrer müssen einen Umweg von zehn Kilometern fahren.",
    ),
    Article(
        id="b-sperrung",
        source="kurier.de",
        title="Risse: Lahnbrücke zu",
        published="2024-03-07",
        text="Risse: Lahnbrücke zu\n\nDie Stadt Neustadt sperrte am Mittwoch die Brücke über die Lahn, weil Prüfer "
        "tiefe Risse im Beton gefunden hatten. Der Bürgermeister bat um Geduld.",
    ),
    Article(
        id="c-abriss",
        source="bote.de",
        title="Abriss der Lahnbrücke begonnen",
        published="2024-03-15",  # a Friday
        text="Abriss der Lahnbrücke begonnen\n\nGestern begannen Bagger mit dem Abriss der gesperrten Brücke in "
        "Neustadt über die Lahn. Die Arbeiten sollen sechs Wochen dauern.",
    ),
    Article(
        id="d-neubau",
        source="zeitung.de",
        title="Neustadt beschließt neue Brücke",
        published="2024-04-02",  # a Tuesday
        text="Neustadt beschließt neue Brücke\n\nDer Stadtrat von Neustadt beschloss am Montag den Neubau der "
        "Brücke über die Lahn für 12 Millionen Euro. Die neue Brücke soll 2026 fertig sein.",
    ),
    Article(
        id="e-wetter",
        source="bote.de",
        title="Sonniges Wochenende",
        published="2024-03-09",
        text="Sonniges Wochenende\n\nDer Deutsche Wetterdienst erwartet am Wochenende viel Sonne und bis zu "
        "18 Grad im ganzen Land. In den Alpen taut der Schnee.",
    ),
    Article(
        id="f-fussball",
        source="kurier.de",
        title="Pokalsieg",
        published="2024-03-20",
        text="Pokalsieg\n\nDer Fußballverein gewann das Pokalspiel am Dienstagabend mit drei zu eins Toren vor "
        "ausverkauftem Stadion. Der Trainer lobte seine Mannschaft.",
    ),
]
QUESTION = "Wie hat sich die Sperrung der Brücke in Neustadt entwickelt?"
