"""A template's blocks and fields: what may be saved, and how a case fills it."""

from __future__ import annotations

from datetime import date

import pytest

from records.agreements.documents import (
    BLANK,
    Block,
    BlockKind,
    TemplateError,
    canonical,
    check_template,
    fields_in,
    fill,
    normalise,
    parse,
)
from records.agreements.fields import long_date, names
from records.agreements.templates import KINDS, LANGUAGES, default_text


def test_the_written_form_has_a_title_headings_and_paragraphs() -> None:
    doc = parse("# Titre\n\n## Partie\n\nUne ligne\net la suivante.\n\n\nAutre paragraphe.")
    assert doc == (
        Block(BlockKind.TITLE, "Titre"),
        Block(BlockKind.HEADING, "Partie"),
        Block(BlockKind.PARAGRAPH, "Une ligne\net la suivante."),
        Block(BlockKind.PARAGRAPH, "Autre paragraphe."),
    )
    assert parse(canonical(doc)) == doc


def test_unknown_fields_are_refused_by_name() -> None:
    with pytest.raises(TemplateError) as caught:
        check_template("# T\n\n{{parties}} et {{ montant }} le {{jour}} {{montant}}")
    assert caught.value.unknown == ("montant", "jour")
    assert "{{montant}}" in str(caught.value) and "{{jour}}" in str(caught.value)


@pytest.mark.parametrize("text", ["", "   \n", "# T\n\n{{parties}", "# T\n\nparties}}"])
def test_empty_or_unclosed_templates_are_refused(text: str) -> None:
    with pytest.raises(TemplateError):
        check_template(text)


def test_every_built_in_template_is_valid_in_both_languages() -> None:
    for kind in KINDS:
        for language in LANGUAGES:
            text = default_text(kind, language)
            check_template(text)
            assert parse(text)[0].kind is BlockKind.TITLE


def test_a_value_is_text_only_and_a_missing_one_is_left_blank() -> None:
    doc = fill(
        "# Accord\n\nEntre {{parties}}.\n\nHonoraires : {{fees}}",
        {"parties": "A {{fees}}\n\n# pas un titre"},
    )
    assert doc == (
        Block(BlockKind.TITLE, "Accord"),
        Block(BlockKind.PARAGRAPH, "Entre A {{fees}} # pas un titre."),
        Block(BlockKind.PARAGRAPH, f"Honoraires : {BLANK}"),
    )


def test_the_court_report_says_whether_an_agreement_was_reached_and_nothing_else() -> None:
    text = default_text("court_report", "fr")
    doc = fill(text, {"outcome": "ne sont pas parvenues à un accord", "date": "7 décembre 2026"})
    said = normalise(" ".join(b.text for b in doc))
    assert "les parties ne sont pas parvenues à un accord." in said
    # no field of the report could carry more than that: no parties' names, no fees
    assert set(fields_in(text)) <= {
        "court_reference", "court", "case_reference", "outcome", "date", "mediator",
    }  # fmt: skip


def test_dates_and_names_are_written_out_in_the_language() -> None:
    assert long_date(date(2026, 12, 7), "fr") == "7 décembre 2026"
    assert long_date(date(2026, 8, 1), "fr") == "1er août 2026"
    assert long_date(date(2026, 12, 7), "en") == "7 December 2026"
    assert names(["A", "B", "C"], "fr") == "A, B et C"
    assert names(["A", "B"], "en") == "A and B"
    assert names([], "en") == ""


def test_normalise_keeps_letters_and_accents_and_folds_white_space() -> None:
    assert normalise("É  té\n\u00a0« oui »") == "É té « oui »"
    assert normalise("é") == normalise("e\u0301")
    assert normalise("ete") != normalise("été")
