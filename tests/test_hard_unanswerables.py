"""Hard unanswerable questions: the question's article stays, its answer sentences go (and their copies in
other articles); the FANG-COVID files read into the eval's articles and questions; `assistant eval
--remove-answer-sentences` reports them beside the other unanswerables (real index, real model)."""

from __future__ import annotations

import json
from pathlib import Path

from assistant import Article, Assistant
from assistant.evaluating.news_questions import read_articles, read_questions
from assistant.evaluating.removal import AnswerTarget, remove_answer_sentences
from assistant.evaluation import evaluate, load_qa

PLANT = Article(
    "plant",
    "Im Werk in Rheda gab es einen Ausbruch. Am Montag waren 1553 Beschäftigte infiziert. Das Werk schloss.",
)
COPY = Article("copy", "Eine andere Zeitung schrieb: Am Montag waren 1553 Beschäftigte infiziert. Mehr folgt.")
OTHER = Article("other", "In Berlin wurden 1553 Bäume gepflanzt, sagte der Senat.")


def test_the_answer_sentence_goes_from_its_article_and_from_copies_but_not_from_unrelated_ones() -> None:
    removal = remove_answer_sentences([PLANT, COPY, OTHER], [AnswerTarget("q1", "plant", ("1553",))])
    assert removal.questions == {"q1"}
    plant, copy = removal.changed["plant"], removal.changed["copy"]
    assert plant is not None and "1553" not in plant.text and plant.text.startswith("Im Werk in Rheda")
    assert "Das Werk schloss." in plant.text
    assert copy is not None and "1553" not in copy.text and "Mehr folgt." in copy.text
    assert "other" not in removal.changed  # it holds the number, but says something else


def test_a_question_whose_answer_is_not_in_its_article_is_not_a_hard_one() -> None:
    removal = remove_answer_sentences([PLANT], [AnswerTarget("q2", "plant", ("Tönnies",))])
    assert removal.questions == frozenset() and removal.changed == {}


def write_fang(folder: Path) -> Path:
    records = [
        {"url": "https://a.example/1", "date": "2020-06-22T10:00:00+02:00", "source": "a.example",
         "header": "Ausbruch im Werk", "article": PLANT.text},
        {"url": "https://b.example/2", "date": "2020-06-23T10:00:00+02:00", "source": "b.example",
         "header": "Bäume in Berlin", "article": OTHER.text + "\u2028Zweite Zeile."},
    ]  # fmt: skip
    (folder / "articles.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    questions = [
        {"id": "q1", "question": "Wie viele Beschäftigte waren am Montag infiziert?", "answerable": True,
         "answer": "1553", "url": "https://a.example/1", "sentence": "Am Montag waren 1553 Beschäftigte infiziert.",
         "topic": "werk"},
        {"id": "q2", "question": "Wie viele Beschäftigte starben?", "answerable": False, "answer": None, "url": None,
         "sentence": None, "topic": "werk", "why": "searched"},
    ]  # fmt: skip
    path = folder / "questions.json"
    path.write_text(json.dumps(questions), encoding="utf-8")
    english = [dict(q, id=f"{q['id']}-en", question="How many?") for q in questions]
    (folder / "questions_en.json").write_text(json.dumps(english), encoding="utf-8")
    return path


def test_fang_covid_records_become_articles_and_questions(tmp_path: Path) -> None:
    write_fang(tmp_path)
    articles = read_articles(tmp_path / "articles.jsonl")
    assert [a.id for a in articles] == ["https://a.example/1", "https://b.example/2"]
    assert articles[0].title == "Ausbruch im Werk" and articles[0].source == "a.example"
    assert articles[0].published == "2020-06-22T10:00:00+02:00" and articles[1].text.endswith("Zweite Zeile.")
    assert [q.id for q in read_questions(tmp_path / "questions_en.json")] == ["q1", "q2"]  # paired with German


def test_eval_reports_on_topic_and_removed_sentence_unanswerables_side_by_side(
    assistant: Assistant, tmp_path: Path
) -> None:
    squad = load_qa(write_fang(tmp_path))
    report = evaluate(assistant, squad, remove_answer_sentences=True).to_dict()
    assert (report["answerable"], report["unanswerable"]) == (1, 2)  # q1; q2 on the topic, q1 without its sentence
    assert report["abstain_on_topic"] in (0.0, 1.0) and report["abstain_removed"] in (0.0, 1.0)
    assert report["abstain_unanswerable"] is None  # no article was left out
    assert report["article@5"] == 1.0
    stored = assistant.article("https://a.example/1").text
    assert "1553" not in stored and "Das Werk schloss." in stored  # the index holds the article without its answer
