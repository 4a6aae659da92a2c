"""The organisation's templates: versions kept with who saved them, back to the built-in
text as one more version, unknown fields refused (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from records.agreements.templates import KINDS, LANGUAGES, UnknownFields, default_text
from records.errors import Invalid
from records.service import Records


async def test_built_in_texts_until_an_edit(records: Records) -> None:
    templates = records.templates
    listed = await templates.list_current()
    assert [(t.kind, t.language) for t in listed] == [
        (k, lang) for k in KINDS for lang in LANGUAGES
    ]
    assert all(t.built_in and t.version == 0 for t in listed)
    current = await templates.current("court_report", "fr")
    assert current.body == default_text("court_report", "fr")
    assert await templates.history("court_report", "fr") == []


async def test_saves_are_versions_and_reset_is_one_more(records: Records) -> None:
    templates = records.templates
    first = await templates.save(
        "agreement_to_mediate", "fr", "# Convention\n\nEntre {{parties}}.", edited_by="mediator:a"
    )
    second = await templates.save(
        "agreement_to_mediate", "fr", "# Convention\n\nEntre {{ parties }} ; {{fees}}.",
        edited_by="mediator:b",
    )  # fmt: skip
    assert (first.version, second.version) == (1, 2)
    assert (await templates.current("agreement_to_mediate", "fr")).body.endswith("{{fees}}.")
    assert (await templates.current("agreement_to_mediate", "en")).built_in  # the other language
    reset = await templates.reset("agreement_to_mediate", "fr", edited_by="mediator:a")
    assert reset.version == 3 and reset.built_in
    assert reset.body == default_text("agreement_to_mediate", "fr")
    history = await templates.history("agreement_to_mediate", "fr")
    assert [(v.version, v.built_in, v.edited_by) for v in history] == [
        (3, True, "mediator:a"), (2, False, "mediator:b"), (1, False, "mediator:a"),
    ]  # fmt: skip
    assert all(v.edited_at is not None for v in history)
    listed = {(t.kind, t.language): t for t in await templates.list_current()}
    assert listed["agreement_to_mediate", "fr"].version == 3


async def test_unknown_fields_are_refused_and_nothing_is_saved(records: Records) -> None:
    templates = records.templates
    with pytest.raises(UnknownFields) as caught:
        await templates.save(
            "mediated_agreement", "en", "# A\n\n{{parties}} pay {{amount}} by {{deadline}}",
            edited_by="mediator:a",
        )  # fmt: skip
    assert caught.value.names == ("amount", "deadline")
    with pytest.raises(Invalid):
        await templates.save("mediated_agreement", "en", "# A\n\n{{parties", edited_by="m:a")
    with pytest.raises(Invalid):
        await templates.save("no_such_kind", "en", "# A", edited_by="m:a")
    with pytest.raises(Invalid):
        await templates.save("mediated_agreement", "de", "# A", edited_by="m:a")
    assert await templates.history("mediated_agreement", "en") == []
