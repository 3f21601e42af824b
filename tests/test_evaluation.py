"""`assistant eval`: metrics checked by hand, then a tiny German SQuAD file through the real assistant and CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import Answer, Article, Assistant, ConfigurationError, Passage, Quote, Settings, evaluation
from assistant.cli import main
from assistant.evaluation import (
    SquadQuestion,
    choose_unanswerable,
    evaluate,
    hit_at_k,
    hit_rank,
    is_quote_hit,
    load_distractors,
    load_squad,
    mean_reciprocal_rank,
    occurs_in,
    parse_ks,
    parse_slice,
    percentile,
    score_answer,
    select_questions,
    with_questions_from,
)

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
LISTED_KEYS = {
    "hit@1",
    "hit@5",
    "mrr@10",
    "quote_hit",
    "abstain_unanswerable",
    "answer_answerable",
    "p50_ms",
    "p95_ms",
    "passage_chars",
    "questions",
}

TINY_SQUAD = {
    "version": "1.1",
    "data": [
        {
            "title": "Rhein_(Fluss)",
            "paragraphs": [
                {
                    "context": "Der Rhein ist ein Fluss in Mitteleuropa. Er entspringt in den Schweizer Alpen und "
                    "mündet in die Nordsee. Seine Länge beträgt etwa 1.230 Kilometer.",
                    "qas": [
                        {"id": "r1", "question": "Wie lang ist der Rhein?", "answers": [{"text": "1.230 Kilometer"}]},
                        {
                            "id": "r2",
                            "question": "Wo entspringt der Rhein?",
                            "answers": [{"text": "in den Schweizer Alpen"}, {"text": "Schweizer Alpen"}],
                        },
                    ],
                },
                {
                    "context": "Köln ist die größte Stadt am Rhein. Der Kölner Dom wurde im Jahr 1880 fertiggestellt.",
                    "qas": [
                        {
                            "id": "r3",
                            "question": "Wann wurde der Kölner Dom fertiggestellt?",
                            "answers": [{"text": "1880"}],
                        }
                    ],
                },
            ],
        },
        {
            "title": "Zugspitze",
            "paragraphs": [
                {
                    "context": "Die Zugspitze ist mit 2.962 Metern der höchste Berg Deutschlands. Sie liegt im "
                    "Wettersteingebirge an der Grenze zu Österreich.",
                    "qas": [
                        {"id": "z1", "question": "Wie hoch ist die Zugspitze?", "answers": [{"text": "2.962 Metern"}]},
                        {
                            "id": "z2",
                            "question": "An welches Land grenzt die Zugspitze?",
                            "answers": [{"text": "Österreich"}],
                        },
                    ],
                }
            ],
        },
        {
            "title": "Kaffee",
            "paragraphs": [
                {
                    "context": "Kaffee wurde ursprünglich in Äthiopien entdeckt. Im 17. Jahrhundert eröffneten in Wien "
                    "die ersten Kaffeehäuser.",
                    "qas": [{"id": "k1", "question": "Wo wurde Kaffee entdeckt?", "answers": [{"text": "Äthiopien"}]}],
                },
                {
                    "context": "Espresso wird mit einem Druck von etwa neun Bar zubereitet.",
                    "qas": [
                        {
                            "id": "k2",
                            "question": "Mit welchem Druck wird Espresso zubereitet?",
                            "answers": [{"text": "neun Bar"}],
                        }
                    ],
                },
            ],
        },
    ],
}
DISTRACTOR_CSV = (
    "Sport;'Der FC Salzburg gewann am Samstag mit 3:1 gegen Rapid Wien; das Stadion war ausverkauft.'\n"
    "Wirtschaft;'Die Inflation in Österreich sank im Mai auf 2,1 Prozent, teilte die Statistik Austria mit.'\n"
)


@pytest.fixture
def squad_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(TINY_SQUAD, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def distractor_csv(tmp_path: Path) -> Path:
    path = tmp_path / "news.csv"
    path.write_text(DISTRACTOR_CSV, encoding="utf-8")
    return path


def english_questions(ids_and_questions: dict[str, str]) -> dict:
    """A SQuAD file holding only questions (what XQuAD's English file contributes: same ids, other words)."""
    qas = [{"id": i, "question": q, "answers": [{"text": "x"}]} for i, q in ids_and_questions.items()]
    return {"data": [{"title": "English", "paragraphs": [{"context": "unused", "qas": qas}]}]}


# --- pure functions, by hand -------------------------------------------------------------------
def test_hit_at_k_and_mrr_from_rank_lists() -> None:
    ranks = [1, 3, None, 2]
    assert hit_at_k(ranks, 1) == 0.25
    assert hit_at_k(ranks, 2) == 0.5
    assert hit_at_k(ranks, 3) == 0.75
    assert hit_at_k(ranks, 10) == 0.75
    assert mean_reciprocal_rank(ranks) == pytest.approx((1 + 1 / 3 + 0 + 1 / 2) / 4)
    assert mean_reciprocal_rank([11, 10]) == pytest.approx((0 + 1 / 10) / 2)  # beyond the cut-off counts 0
    assert hit_at_k([], 1) is None and mean_reciprocal_rank([]) is None


def test_matching_is_exact_or_whitespace_normalized_only() -> None:
    assert occurs_in("Super Bowl 50", "Der Super Bowl 50 war ein Spiel.")
    assert occurs_in("Super Bowl 50", "Der Super  Bowl\n50 war ein Spiel.")  # runs of whitespace
    assert occurs_in("Super\u00a0Bowl", "Der Super Bowl")  # non-breaking space is whitespace
    assert occurs_in(" 1880 ", "im Jahr 1880 fertig")  # gold with stray spaces
    assert not occurs_in("super bowl", "Der Super Bowl 50")  # no lowercasing
    assert not occurs_in("Koln", "Köln")  # no accent folding
    assert not occurs_in("   ", "Köln")
    assert hit_rank(["nichts", "Köln am Rhein", "Köln"], ["Köln"]) == 2
    assert hit_rank(["nichts"], ["Köln"]) is None


def test_quote_hit_needs_the_answer_within_400_chars() -> None:
    gold = ["1880"]
    at_limit = "Der Dom wurde 1880 fertig." + "x" * (400 - 26)
    assert len(at_limit) == 400 and is_quote_hit(at_limit, gold)
    assert not is_quote_hit(at_limit + "x", gold)  # 401 chars: quoting more can't raise the figure
    assert not is_quote_hit("Der Dom ist alt.", gold)
    assert not is_quote_hit(None, gold)  # abstained: no quote


def test_percentile_is_nearest_rank() -> None:
    assert percentile([40, 10, 30, 20], 50) == 20
    assert percentile([40, 10, 30, 20], 95) == 40
    assert percentile(list(range(1, 101)), 95) == 95
    assert percentile([], 50) is None


def test_options_and_selection(squad_file: Path) -> None:
    assert parse_ks("10,1, 5") == (1, 5, 10)
    assert parse_slice("38:48") == slice(38, 48) and parse_slice(":2") == slice(None, 2)
    for bad in ("0,1", "a", ""):
        with pytest.raises(ConfigurationError):
            parse_ks(bad)
    with pytest.raises(ConfigurationError):
        parse_slice("38")
    squad = load_squad(squad_file)
    assert [q.id for q in select_questions(squad, slice(1, 3))] == ["z1", "z2", "k1", "k2"]
    assert [q.id for q in select_questions(squad, None, 3)] == ["r1", "r3", "z2"]  # evenly spread
    assert choose_unanswerable(48, 8, 0) == choose_unanswerable(48, 8, 0) and len(choose_unanswerable(48, 8, 0)) == 8
    with pytest.raises(ConfigurationError):
        choose_unanswerable(3, 4, 0)


def test_load_squad_and_distractors(squad_file: Path, distractor_csv: Path, tmp_path: Path) -> None:
    squad = load_squad(squad_file)
    assert [a.title for a in squad] == ["Rhein_(Fluss)", "Zugspitze", "Kaffee"]
    articles = squad[0].to_articles()
    assert [a.id for a in articles] == ["squad/0/0", "squad/0/1"] and articles[0].title == "Rhein (Fluss)"
    assert squad[0].questions[1].answers == ("in den Schweizer Alpen", "Schweizer Alpen")
    folder = tmp_path / "folder"
    folder.mkdir()
    items = load_distractors([distractor_csv, folder])
    assert [a.id for a in items[:2]] == ["news.csv#0", "news.csv#1"] and items[2] == folder
    assert items[0].source == "news.csv" and "3:1 gegen Rapid Wien; das Stadion" in items[0].text
    with pytest.raises(ConfigurationError):
        load_distractors([tmp_path / "missing.csv"])


def test_questions_of_a_parallel_file_replace_the_questions_by_id(squad_file: Path, tmp_path: Path) -> None:
    english = tmp_path / "en.json"
    english.write_text(json.dumps(english_questions({"r1": "How long is the Rhine?", "z1": "How high?"})))
    swapped = with_questions_from(load_squad(squad_file), load_squad(english))
    questions = select_questions(swapped)
    assert [(q.id, q.question) for q in questions] == [("r1", "How long is the Rhine?"), ("z1", "How high?")]
    assert questions[0].answers == ("1.230 Kilometer",)  # the gold answer that stands in the indexed text
    assert swapped[0].to_articles() == load_squad(squad_file)[0].to_articles()  # every context is still indexed
    unrelated = tmp_path / "other.json"
    unrelated.write_text(json.dumps(english_questions({"nope": "?"})))
    with pytest.raises(ConfigurationError, match="shares no question id"):
        with_questions_from(load_squad(squad_file), load_squad(unrelated))


def test_score_answer_by_hand() -> None:
    question = SquadQuestion("q", "Wann?", ("1880",), 0, 1)
    passages = [
        Passage("squad/2/0", "", "Kaffee aus Äthiopien.", 0, 21, 0.9),
        Passage("squad/0/1", "", "Der Dom wurde 1880 fertig.", 0, 26, 0.8),
    ]
    quote = Quote("Der Dom wurde 1880 fertig.", "squad/0/1", 0, 26, 0.8)
    result = score_answer(question, Answer("Wann?", "…", False, [quote], passages), True, 12.5)
    assert (result.rank, result.context_rank, result.quote_hit, result.top_score) == (2, 2, True, 0.9)
    assert result.passage_lengths == (21, 26)
    abstained = score_answer(question, Answer("Wann?", "…", True, [], passages), False, 3.0)
    assert abstained.quote is None and not abstained.quote_hit and abstained.abstained
    assert set(abstained.to_dict()) >= {"question", "gold", "hit_rank", "quote", "abstained", "top_score"}


# --- the real assistant ------------------------------------------------------------------------
@pytest.mark.slow
def test_end_to_end_report_on_a_tiny_squad_file(assistant: Assistant, squad_file: Path, distractor_csv: Path) -> None:
    squad = load_squad(squad_file)
    distractors = load_distractors([distractor_csv])
    report = evaluate(assistant, squad, unanswerable=1, seed=0, distractors=distractors)
    data = report.to_dict()
    assert set(data) >= LISTED_KEYS and {"hit@3", "hit@10", "quote_chars", "index_seconds"} <= set(data)
    assert data["unanswerable_articles"] == [1]  # random.Random(0).sample(range(3), 1): the Zugspitze
    assert (data["questions"], data["answerable"], data["unanswerable"]) == (7, 5, 2)
    stored = {a.id for a in assistant.articles()}
    assert stored == {"squad/0/0", "squad/0/1", "squad/2/0", "squad/2/1", "news.csv#0", "news.csv#1"}
    assert data["hit@10"] == 1.0  # every chunk is retrieved with k=10: each gold string is in one
    assert 0.0 <= data["hit@1"] <= data["hit@3"] <= data["hit@5"] <= 1.0
    assert 0.0 < data["mrr@10"] <= 1.0 and data["hit@1"] <= data["mrr@10"]
    for key in ("quote_hit", "abstain_unanswerable", "answer_answerable"):
        assert 0.0 <= data[key] <= 1.0
    assert data["hit@1"] >= 0.8  # five plain questions on six short, unrelated articles
    assert 0 < data["passage_chars"] <= 1000 and 0 < data["quote_chars"] <= 400
    assert 0 < data["p50_ms"] <= data["p95_ms"] and data["index_seconds"] > 0
    assert data["indexed"]["added"] == 6 and data["indexed"]["refused"] == 0
    rows = report.details()
    assert [r["answerable"] for r in rows] == [True, True, True, False, False, True, True]
    assert all(r["context_rank"] is not None for r in rows if r["answerable"])


@pytest.mark.slow
def test_reused_index_is_incremental_and_follows_left_out_articles(assistant: Assistant, squad_file: Path) -> None:
    squad = load_squad(squad_file)
    first = evaluate(assistant, squad, unanswerable=1, seed=0, limit=1).to_dict()
    assert first["indexed"]["added"] == 4
    again = evaluate(assistant, squad, unanswerable=1, seed=0, limit=1).to_dict()
    assert again["indexed"] == {"added": 0, "updated": 0, "unchanged": 4, "deleted": 0, "refused": 0}
    other = evaluate(assistant, squad, unanswerable=1, seed=1, limit=1).to_dict()  # leaves out article 0
    assert other["unanswerable_articles"] == [0]
    assert (other["indexed"]["added"], other["indexed"]["deleted"]) == (1, 2)
    assert {a.id for a in assistant.articles()} == {"squad/1/0", "squad/2/0", "squad/2/1"}


@pytest.mark.slow
def test_refuses_an_index_it_did_not_build(assistant: Assistant, squad_file: Path) -> None:
    assistant.index(Article(id="mine", text="Ein Artikel, der dem Nutzer gehört."))
    with pytest.raises(ConfigurationError, match="did not build"):
        evaluate(assistant, load_squad(squad_file), limit=1)
    assert [a.id for a in assistant.articles()] == ["mine"]


@pytest.mark.slow
def test_cli_eval_json_and_details(
    squad_file: Path, distractor_csv: Path, tmp_path: Path, embeddings, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(evaluation, "open_assistant", lambda d: Assistant(Settings(index_dir=d), embeddings=embeddings))
    details = tmp_path / "details.jsonl"
    args = [str(squad_file), "--distractors", str(distractor_csv), "--unanswerable", "1", "--k", "1,3"]
    code = main(["eval", *args, "--articles", "1:3", "--details", str(details), "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= LISTED_KEYS and "hit@3" in data and "hit@10" not in data
    assert (data["questions"], data["answerable"], data["unanswerable"]) == (4, 2, 2)
    assert data["k"] == 10
    rows = [json.loads(line) for line in details.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["z1", "z2", "k1", "k2"]
    assert rows[0]["gold"] == ["2.962 Metern"] and rows[0]["hit_rank"] is None  # its article was left out


@pytest.mark.slow
def test_cli_eval_text_output_on_a_temporary_index(squad_file: Path, embeddings, monkeypatch, capsys) -> None:
    monkeypatch.setattr(evaluation, "open_assistant", lambda d: Assistant(Settings(index_dir=d), embeddings=embeddings))
    assert main(["eval", str(squad_file), "--limit", "2"]) == 0
    out = capsys.readouterr().out
    assert "2 questions" in out and "hit@1" in out and "quote_hit" in out and "p50" in out


# --- the real data, when present ---------------------------------------------------------------
@pytest.mark.skipif(not (SHARED_DATA / "xquad").is_dir(), reason="../shared/data/xquad is absent")
def test_xquad_loads_with_every_question() -> None:
    squad = load_squad(SHARED_DATA / "xquad" / "xquad.de.json")
    assert len(squad) == 48
    assert sum(len(a.paragraphs) for a in squad) == 240 and sum(len(a.questions) for a in squad) == 1190
    assert len(select_questions(squad, parse_slice("38:48"))) + len(select_questions(squad, slice(0, 38))) == 1190


@pytest.mark.skipif(not (SHARED_DATA / "10kgnad").is_dir(), reason="../shared/data/10kgnad is absent")
def test_10kgnad_csv_gives_1028_articles() -> None:
    items = load_distractors([SHARED_DATA / "10kgnad" / "test.csv"])
    assert len(items) == 1028 and items[0].id == "test.csv#0" and items[0].source == "test.csv"
    assert items[0].text.startswith("Die Gewerkschaft GPA-djp")
