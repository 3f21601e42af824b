"""Sample articles shared by the chat tests (server-side and browser)."""

BUS = """---
title: Stadtwerke Musterstadt testen Wasserstoffbus
source: Musterstädter Zeitung
published: 2024-11-02
---
Die Stadtwerke Musterstadt haben am Montag ihren ersten Wasserstoffbus in Betrieb genommen. Der Bus trägt den Namen
„Blauer Falke“ und fährt auf der Linie 7 zwischen Bahnhof und Universität. Getankt wird an einer neuen Station im
Hafen, die mit Strom aus dem Windpark Nordfeld versorgt wird.
"""
