"""Role labels, replayed review edits, the exports and the report to the judge (pure)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from records.anonymise.summaries import (
    Facts,
    NamedPerson,
    court_report_html,
    court_report_lines,
    court_report_text,
    known_names,
    review,
    suggestion_key,
    summary_csv,
    summary_document,
    summary_html,
)

PEOPLE = [
    NamedPerson("Jeanne Martin", "party"),
    NamedPerson("Karim Haddad", "party"),
    NamedPerson("Me Paul Girard", "counsel"),
    NamedPerson("Hugo Petit", "observer"),
    NamedPerson("Anne Blanc", "lead"),
    NamedPerson("Luc Roussel", "co"),
    NamedPerson("1234", "party"),  # no letter: skipped, not an error
]
FACTS = Facts(
    mediation_type="family", outcome="full_agreement", referral="voluntary",
    party_kinds=("individual",), region="Bretagne", departement="29", session_minutes=(90, 60),
    opened=date(2026, 1, 30), closed=date(2026, 3, 2),
)  # fmt: skip


def test_role_labels_in_both_languages() -> None:
    fr = known_names(PEOPLE, ["SCI Les Tilleuls", "  "], "fr")
    assert [p.label for p in fr.people] == [
        "Partie A", "Partie B", "Conseil de la partie A", "Observateur 1", "le médiateur",
        "le co-médiateur",
    ]  # fmt: skip
    assert [o.label for o in fr.organisations] == ["Organisation A"]
    en = known_names(PEOPLE, [], "en")
    assert [p.label for p in en.people][:3] == ["Party A", "Party B", "Counsel for party A"]
    text = review("Jeanne et Me Girard ont vu Anne Blanc à la SCI Les Tilleuls.", "fr", fr)
    assert "Partie A" in text.text and "Conseil de la partie A" in text.text
    assert "le médiateur" in text.text and "Organisation A" in text.text
    assert "Jeanne" not in text.text and "Girard" not in text.text and "Tilleuls" not in text.text


def test_edits_replay_and_exports_carry_no_original() -> None:
    names = known_names(PEOPLE, [], "fr")
    source = "Jeanne Martin habite Brest. Appeler le 06 12 34 56 78."
    start = source.index("Brest")
    result = review(source, "fr", names, [{"op": "redact", "start": start, "end": start + 5}])
    assert "Brest" not in result.text and "[EXPURGÉ]" in result.text
    phone = next(r for r in result.replacements if r.kind.value == "PHONE")
    undone = review(source, "fr", names, [{"op": "revert", "id": phone.id}])
    assert "06 12 34 56 78" in undone.text
    doc = summary_document(FACTS, result, datetime(2026, 3, 3, tzinfo=UTC))
    assert doc["case"]["opened"] == "2026-01" and doc["case"]["duration_band"] == "1-3m"
    assert doc["case"]["total_minutes"] == 150
    flat = repr(doc)
    assert "Jeanne" not in flat and "Brest" not in flat and "06 12" not in flat
    for r in doc["summary"]["replacements"]:
        assert doc["summary"]["text"][r["start"] : r["end"]] == r["replacement"]
    rows = list(csv.reader(io.StringIO(summary_csv([doc, doc]))))
    assert len(rows) == 3 and rows[1][1] == "family"
    evil = review("<script>alert(1)</script> & Jeanne", "fr", names)
    html = summary_html(summary_document(FACTS, evil, datetime(2026, 3, 3, tzinfo=UTC)))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_court_report_is_only_the_answer() -> None:
    lines = court_report_lines("RG 26/1", True, date(2026, 4, 1), "fr")
    assert lines[1:] == [
        "Référence de la juridiction : RG 26/1",
        "Le médiateur informe la juridiction que les parties sont parvenues à un accord.",
        "Fait le 2026-04-01.",
    ]
    assert "did not reach" in court_report_text("X", False, date(2026, 4, 1), "en")
    html = court_report_html("<RG>", False, date(2026, 4, 1), "fr")
    assert "&lt;RG&gt;" in html and "ne sont pas parvenues" in html


def test_a_rejected_suggestion_leaves_only_itself_in_clear() -> None:
    """Rejecting "Léa Roussel" or "école Martin" never shows a listed person's name."""
    names = known_names(
        [NamedPerson("Nathalie Roussel", "party"), NamedPerson("Jeanne Martin", "party")], [], "fr"
    )
    text = (
        "Nathalie Roussel est la mère de Léa Roussel, inscrite à l'école Martin de Rodez. "
        "Sa fille Emma (8 ans) y est aussi. Jeanne Martin est sa voisine."
    )
    first = review(text, "fr", names)
    suggestions = {r.original: r for r in first.replacements if r.suggestion}
    assert {"Léa Roussel", "école Martin de Rodez", "Emma"} <= set(suggestions)
    rejected = {
        suggestion_key(suggestions[k]): "reject" for k in ("Léa Roussel", "école Martin de Rodez")
    }
    again = review(text, "fr", names, (), rejected)
    assert "Léa Partie A" in again.text and "l'école Partie B de Rodez" in again.text
    assert "Roussel" not in again.text and "Martin" not in again.text
    assert "Emma" not in again.text  # only what was rejected
    assert {r.original for r in again.reverted} == {"Léa Roussel", "école Martin de Rodez"}
    # the same review twice: the same ids, so edits replay
    assert review(text, "fr", names, (), rejected) == again
    for r in again.replacements:
        assert again.text[r.output_start : r.output_end] == r.replacement


def test_what_a_rejection_uncovered_can_be_undone_like_any_replacement() -> None:
    names = known_names([NamedPerson("Nathalie Roussel", "party")], [], "fr")
    text = "Nathalie Roussel est la mère de Léa Roussel. Sa fille Emma (8 ans) dessine."
    first = review(text, "fr", names)
    lea = next(r for r in first.replacements if r.original == "Léa Roussel")
    decisions = {suggestion_key(lea): "reject"}
    rejected = review(text, "fr", names, (), decisions)
    uncovered = next(r for r in rejected.replacements if r.original == "Roussel")
    assert uncovered.id == f"k{text.index('Roussel', 20)}"
    emma = next(r for r in rejected.replacements if r.original == "Emma")
    # another decision does not rename it, and an edit naming it replays
    decisions[suggestion_key(emma)] = "reject"
    edits = [{"op": "revert", "id": uncovered.id}]
    undone = review(text, "fr", names, edits, decisions)
    assert "Léa Roussel" in undone.text and "Emma" in undone.text
    assert "Nathalie" not in undone.text
