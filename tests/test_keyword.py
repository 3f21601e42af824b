"""The incremental keyword index: the same BM25 as a from-scratch build, at a cost that follows the change.

Articles are committed to a real record (SQLite) without embedding anything: the keyword index reads only the
record. bm25s, which built the index before it became incremental, is the reference for every score."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import bm25s
import numpy as np
import pytest

from assistant import Article
from assistant.indexing import keyword_index as keyword
from assistant.indexing import keyword_segments
from assistant.indexing.keyword_index import KeywordIndex, tokenize
from assistant.indexing.records import ChunkRecord, Records

WORDS = """Regierung Bundestag Gespräche Vermittlung Katar Ukraine Russland Wahl Kanzlerin Minister Gewerkschaft
Streik Bahn Lokführer Tarif Lohn Inflation Zinsen Notenbank Euro Börse Aktie Unternehmen Gewinn Verlust Umsatz
Fußball Bundesliga Trainer Spieler Tor Meisterschaft Wien Berlin München Graz Salzburg Klima Hitze Regen Sturm
Energie Strom Gas Öl Preise Mieten Wohnungen Schule Lehrer Universität Studie Forscher Medizin Impfung Spital
Gericht Urteil Richter Anwalt Polizei Unfall Feuerwehr Brand Flüchtlinge Grenze Asyl Gemeinde Bürgermeister
Seilbahn Stausee Freibad Solarheizung 2024 2025 17 42 Straße Brücke Tunnel Ausbau Kosten Millionen Milliarden
und der die das nicht sich mit auf für ist eine einen über wurde werden""".split()


def texts(seed: int, count: int) -> list[str]:
    """Deterministic German-ish texts with a skewed word distribution (so some stems are common, most rare)."""
    rng = random.Random(seed)
    weights = [1 / (n + 1) for n in range(len(WORDS))]
    return [" ".join(rng.choices(WORDS, weights, k=rng.randint(0, 40))) + "." for _ in range(count)]


def commit(records: Records, article_id: str, text: str, version: str = "") -> None:
    """An article cut into two chunks (as indexing would, without vectors)."""
    middle = len(text) // 2
    chunks = [
        ChunkRecord(f"{article_id}#{version}{len(text)}-0", article_id, 0, 0, middle),
        ChunkRecord(f"{article_id}#{version}{len(text)}-1", article_id, 1, middle, len(text)),
    ]
    records.commit_article(Article(id=article_id, text=text, title=article_id), f"h-{version}-{text}", chunks)


def live_tokens(records: Records) -> dict[str, list[str]]:
    return {chunk_id: tokenize(text) for chunk_id, text in records.chunk_texts()}


def assert_same_bm25(index: KeywordIndex, records: Records) -> None:
    """Every query's scores equal bm25s over the record's chunks now (same chunks, same scores, same top 10)."""
    reference = live_tokens(records)
    snapshot = index.ensure_current()
    assert sorted(snapshot.chunk_ids) == sorted(reference) and snapshot.chunk_count == len(reference)
    bm25 = bm25s.BM25()
    bm25.index(list(reference.values()), show_progress=False)
    ids = list(reference)
    for query in ["Gespräche Katar", "Streik der Lokführer", "Seilbahn Stausee 2024", "Bahn Bahn Tarif", "Zebra"]:
        tokens = tokenize(query)
        expected = np.asarray(bm25.get_scores(tokens), dtype=np.float32)
        positions, scores = snapshot.scores(tokens)
        got = np.array([scores[snapshot.position(cid)] for cid in ids])
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        top = np.argsort(-scores, kind="stable")[:10]  # the top 10 by position: live chunks, bm25s's best scores
        np.testing.assert_allclose(scores[top], np.sort(expected)[::-1][: len(top)], rtol=1e-5, atol=1e-6)
        assert all(positions[n] in reference for n in top if scores[n] > 0)
        assert all(scores[n] == 0 for n in range(len(scores)) if positions[n] not in reference)  # deleted: 0
    for stem in tokenize("Katar Tarif Zebra"):
        frequency = sum(stem in set(tokens) for tokens in reference.values())
        assert snapshot.idf(stem) == pytest.approx(keyword.bm25_idf(max(frequency, 1), len(reference)))


@pytest.fixture
def small_tiers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Merge every 2 segments, so a few dozen changes go through several merges and rewrites."""
    monkeypatch.setattr(keyword_segments, "MERGE_FACTOR", 2)


def test_incremental_equals_from_scratch_after_adds_deletes_and_changes(tmp_path: Path, small_tiers: None) -> None:
    records = Records(tmp_path / "records.sqlite3")
    index = KeywordIndex(tmp_path / "keyword")
    corpus = texts(1, 60)
    for lo in range(0, 40, 5):  # eight runs of five new articles
        for n in range(lo, lo + 5):
            commit(records, f"a{n}", corpus[n])
        index.update(records)
        assert index.is_current(records)
    assert_same_bm25(index, records)
    for n in range(0, 40, 3):  # deleted
        records.remove_article(f"a{n}")
    for n in range(1, 40, 4):  # changed: new text, new chunk ids
        commit(records, f"a{n}", corpus[40 + n % 20], version="v2")
    index.update(records)
    assert_same_bm25(index, records)
    commit(records, "a1", corpus[1])  # changed back: the first chunk ids return and must count once
    index.update(records)
    assert_same_bm25(index, records)

    scratch = KeywordIndex(tmp_path / "scratch")
    scratch.rebuild(records)
    query = tokenize("Gespräche Streik Bahn Wien")
    ids, scores = index.ensure_current().scores(query)
    scratch_ids, scratch_scores = scratch.ensure_current().scores(query)
    by_id = {scratch_ids[n]: scratch_scores[n] for n in range(len(scratch_ids))}
    for n in np.flatnonzero(scores):
        assert scores[n] == pytest.approx(by_id[ids[n]], rel=1e-6)
    records.close()


def test_an_update_tokenizes_only_the_changed_chunks(
    tmp_path: Path, small_tiers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = Records(tmp_path / "records.sqlite3")
    index = KeywordIndex(tmp_path / "keyword")
    for n, text in enumerate(texts(2, 50)):
        commit(records, f"a{n}", text)
    index.update(records)
    seen: list[str] = []
    monkeypatch.setattr(keyword, "tokenize", lambda text: seen.append(text) or tokenize(text))
    commit(records, "new", "Die Seilbahn über den Stausee wird gebaut.")
    records.remove_article("a3")
    index.update(records)
    assert len(seen) == 2  # the new article's two chunks; nothing else is read again
    assert records.keyword_changes(0) == []  # the log holds only what no version holds yet
    monkeypatch.undo()
    assert_same_bm25(index, records)
    records.close()


def test_readers_keep_their_version_while_writers_merge_and_collect(tmp_path: Path, small_tiers: None) -> None:
    records = Records(tmp_path / "records.sqlite3")
    writer, reader = KeywordIndex(tmp_path / "keyword"), KeywordIndex(tmp_path / "keyword")
    commit(records, "a", "Die Seilbahn über den Stausee wird gebaut.")
    writer.update(records)
    held = reader.ensure_current()
    before = held.scores(tokenize("Seilbahn"))[1].copy()
    for n, text in enumerate(texts(3, 30)):
        commit(records, f"b{n}", text)
        records.remove_article("a") if n == 5 else None
        writer.update(records)
    assert np.array_equal(held.scores(tokenize("Seilbahn"))[1], before)  # files it mapped may be gone: still whole
    folder = tmp_path / "keyword"
    versions = sorted(p.name for p in folder.glob("v-*"))
    assert len(versions) == 2  # the current one and the one before it
    assert len(list(folder.glob("s-*"))) <= 2 * 2 * 5  # merged: a few segments per tier, not one per change
    assert reader.ensure_current() is not held
    assert_same_bm25(reader, records)
    records.close()


def test_a_writer_stopped_at_any_step_is_repaired_by_the_next(
    tmp_path: Path, small_tiers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = Records(tmp_path / "records.sqlite3")
    index = KeywordIndex(tmp_path / "keyword")
    for n, text in enumerate(texts(4, 20)):
        commit(records, f"a{n}", text)
    index.update(records)
    for step, target in [("publish", os.replace), ("trim", records.trim_keyword_log)]:
        commit(records, f"new-{step}", f"Ein Artikel über {step} und die Seilbahn.")
        records.remove_article("a2") if step == "publish" else records.remove_article("a5")

        def stop(*_: object, **__: object) -> None:
            raise KeyboardInterrupt

        if step == "publish":
            monkeypatch.setattr(keyword.os, "replace", stop)
        else:
            monkeypatch.setattr(records, "trim_keyword_log", stop)
        with pytest.raises(KeyboardInterrupt):
            index.update(records)
        monkeypatch.undo()
        fresh = KeywordIndex(tmp_path / "keyword")  # the next run, in another process
        assert not fresh.is_current(records) or step == "trim"
        fresh.update(records)
        assert fresh.is_current(records)
        assert_same_bm25(fresh, records)
        del target
    commit(records, "later", "Noch ein Artikel.")
    KeywordIndex(tmp_path / "keyword").update(records)
    names = {p.name for p in (tmp_path / "keyword").iterdir()}
    assert len([n for n in names if n.startswith("v-")]) == 2  # the stopped writers' leftovers are collected
    assert records.keyword_changes(0) == []
    records.close()


WRITER = """
import sys, time
from pathlib import Path
from assistant import Article
from assistant.indexing.keyword_index import KeywordIndex
from assistant.indexing.records import ChunkRecord, Records
folder = Path(sys.argv[1])
records, index = Records(folder / "records.sqlite3"), KeywordIndex(folder / "keyword")
n = 0
while True:
    text = f"Artikel {n}: Die Bahn streikt in Wien, Gespräche über Tarif {n % 7} und Seilbahn {n % 3}."
    chunk = ChunkRecord(f"k{n}#0", f"k{n}", 0, 0, len(text))
    records.commit_article(Article(id=f"k{n}", text=text, title="t"), f"h{n}", [chunk])
    if n % 4 == 3:
        records.remove_article(f"k{n - 2}")
    index.update(records)
    n += 1
    print(n, flush=True)
"""


@pytest.mark.parametrize("delay", [0.8, 1.3, 2.1])
def test_a_writer_killed_by_sigkill_leaves_what_the_next_one_completes(tmp_path: Path, delay: float) -> None:
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    process.stdout.readline()  # it runs
    time.sleep(delay)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    records = Records(tmp_path / "records.sqlite3")
    index = KeywordIndex(tmp_path / "keyword")
    index.update(records)
    assert index.is_current(records)
    assert_same_bm25(index, records)
    records.close()
