"""Anonymised case summaries and the report to the judge (pure: no I/O).

* :func:`known_names` turns a case's participants, mediators and the
  organisations named at closing into :class:`KnownNames` with role labels
  ("Partie A", "Conseil de la partie A", "le médiateur"; "Party A"...).
* :func:`review` anonymises the summary, replays the mediator's edits and
  leaves the suggestions the mediator rejected for the case
  (:func:`suggestion_key`, :func:`apply_decisions`).
* :func:`summary_document` is the versioned JSON export
  (``palabre-case-summary`` v1); :func:`summary_csv` its structured part;
  :func:`summary_html` a printable page. None of them carries an original
  span, a name, the case reference or an exact date.
* :func:`court_report_text` / :func:`court_report_html`: for a court-ordered
  mediation, only whether an agreement was reached (CPC art. 131-11).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from typing import Any

from records.anonymise.editing import add_found, add_redaction, restore, revert
from records.anonymise.engine import anonymise, detect, resolve
from records.anonymise.generalise import month_of
from records.anonymise.known import KnownNames, KnownOrganisation, KnownPerson
from records.anonymise.model import AnonymisedText, Language, Replacement, check_language
from records.anonymise.stats import duration_band

FORMAT = "palabre-case-summary"
VERSION = 1
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

_LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "party": "Partie {x}",
        "counsel": "Conseil de la partie {x}",
        "counsel_any": "Conseil {n}",
        "observer": "Observateur {n}",
        "lead": "le médiateur",
        "co": "le co-médiateur",
        "co_n": "le co-médiateur {n}",
        "organisation": "Organisation {x}",
    },
    "en": {
        "party": "Party {x}",
        "counsel": "Counsel for party {x}",
        "counsel_any": "Counsel {n}",
        "observer": "Observer {n}",
        "lead": "the mediator",
        "co": "the co-mediator",
        "co_n": "co-mediator {n}",
        "organisation": "Organisation {x}",
    },
}


@dataclass(frozen=True)
class NamedPerson:
    name: str
    role: str  # party, counsel, observer, lead, co


def _letter(i: int) -> str:
    return LETTERS[i] if i < len(LETTERS) else f"{LETTERS[i % 26]}{i // 26}"


def _valid(name: str) -> bool:
    try:
        KnownPerson(name, "x")
    except ValueError:
        return False
    return True


def known_names(
    people: Sequence[NamedPerson], organisations: Iterable[str], language: str
) -> KnownNames:
    """Role labels in order of appearance: the n-th counsel is counsel of the n-th party."""
    labels = _LABELS[check_language(language)]
    parties = [p for p in people if p.role == "party"]
    out: list[tuple[str, str]] = []
    for i, p in enumerate(parties):
        out.append((p.name, labels["party"].format(x=_letter(i))))
    counsel = [p for p in people if p.role == "counsel"]
    for i, p in enumerate(counsel):
        label = (
            labels["counsel"].format(x=_letter(i))
            if i < len(parties)
            else labels["counsel_any"].format(n=i + 1)
        )
        out.append((p.name, label))
    for i, p in enumerate(p for p in people if p.role == "observer"):
        out.append((p.name, labels["observer"].format(n=i + 1)))
    cos = [p for p in people if p.role == "co"]
    for p in people:
        if p.role == "lead":
            out.append((p.name, labels["lead"]))
    for i, p in enumerate(cos):
        out.append((p.name, labels["co"] if len(cos) == 1 else labels["co_n"].format(n=i + 1)))
    orgs = [
        KnownOrganisation(o, labels["organisation"].format(x=_letter(i)))
        for i, o in enumerate(dict.fromkeys(o.strip() for o in organisations if _valid(o.strip())))
    ]
    people_out = tuple(KnownPerson(name, label) for name, label in out if _valid(name))
    return KnownNames(people_out, tuple(orgs))


def apply_edits(result: AnonymisedText, edits: Iterable[dict[str, Any]]) -> AnonymisedText:
    """Replay the mediator's edits; ``ValueError`` if one no longer applies."""
    for edit in edits:
        if edit["op"] == "redact":
            result = add_redaction(result, int(edit["start"]), int(edit["end"]))
        elif edit["op"] == "revert":
            result = revert(result, str(edit["id"]))
        elif edit["op"] == "restore":
            result = restore(result, str(edit["id"]))
        else:
            raise ValueError(f"unknown edit {edit['op']!r}")
    return result


ACCEPT = "accept"
REJECT = "reject"
DECISIONS = (ACCEPT, REJECT)


def suggestion_key(item: Replacement) -> str:
    """What a decision about a suggestion is remembered by, for the whole case.

    Its kind and its text, case and spacing aside: rejecting "Rose" found by
    the first-name lexicon leaves every "Rose" of the case's summaries, in
    this version and in any corrected one, and nothing else.
    """
    return f"{item.kind.value}:{' '.join(item.original.split()).casefold()}"


def decision_of(item: Replacement, decisions: Mapping[str, str]) -> str | None:
    """``"accept"``, ``"reject"``, ``"pending"`` for a suggestion; ``None`` otherwise."""
    if not item.suggestion:
        return None
    return decisions.get(suggestion_key(item), "pending")


def apply_decisions(
    result: AnonymisedText, names: KnownNames, decisions: Mapping[str, str]
) -> AnonymisedText:
    """Leave in clear every suggestion the mediator rejected for the case, and only it.

    What a rejected suggestion covered is looked at again without it: "Léa
    Roussel" rejected still has the listed "Roussel" replaced, "l'école
    Martin" the listed "Martin" (ids ``k`` and their start; the others keep theirs).
    """
    rejected = [r for r in result.replacements if decision_of(r, decisions) == REJECT]
    if not rejected:
        return result
    for item in rejected:
        result = revert(result, item.id)
    # only what the case lists and identifiers: the rule's own finds inside are rejected too
    inside = [
        c
        for c in detect(result.original, result.language, names)
        if c.reason is None and any(r.start <= c.start and c.end <= r.end for r in rejected)
    ]
    return add_found(result, resolve(inside))


def review(
    summary: str,
    language: str,
    names: KnownNames,
    edits: Iterable[dict[str, Any]] = (),
    decisions: Mapping[str, str] | None = None,
) -> AnonymisedText:
    """The anonymised summary with the mediator's edits, then the case's rejections.

    Edits naming what a rejection uncovered (ids ``k…``, see
    :func:`apply_decisions`) are replayed after the rejections.
    """
    edits = list(edits)
    after = [e for e in edits if str(e.get("id", "")).startswith("k")]
    result = apply_edits(
        anonymise(summary, check_language(language), names), [e for e in edits if e not in after]
    )
    result = apply_decisions(result, names, decisions or {})
    return apply_edits(result, after)


@dataclass(frozen=True)
class Facts:
    """The structured part of a closed case, already generalised."""

    mediation_type: str
    outcome: str
    referral: str
    party_kinds: tuple[str, ...]
    region: str
    departement: str
    session_minutes: tuple[int, ...]
    opened: date | datetime
    closed: date | datetime

    @property
    def duration_days(self) -> int:
        return max(0, (_day(self.closed) - _day(self.opened)).days)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mediation_type": self.mediation_type,
            "outcome": self.outcome,
            "referral": self.referral,
            "party_kinds": list(self.party_kinds),
            "region": self.region,
            "sessions": len(self.session_minutes),
            "session_minutes": list(self.session_minutes),
            "total_minutes": sum(self.session_minutes),
            "opened": month_of(self.opened),
            "closed": month_of(self.closed),
            "duration_band": duration_band(self.duration_days),
        }


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def summary_document(facts: Facts, text: AnonymisedText, generated_at: datetime) -> dict[str, Any]:
    """The JSON export: structured facts and the anonymised text with typed placeholders.

    Replacements are listed by kind and position in the *anonymised* text
    only; the original spans never leave.
    """
    return {
        "format": FORMAT,
        "version": VERSION,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "case": facts.to_dict(),
        "summary": {
            "language": text.language,
            "text": text.text,
            "replacements": [
                {
                    "kind": r.kind.value,
                    "source": r.source,
                    "replacement": r.replacement,
                    "start": r.output_start,
                    "end": r.output_end,
                }
                for r in sorted(text.replacements, key=lambda r: r.output_start)
            ],
        },
    }


CSV_COLUMNS = (
    "format_version", "mediation_type", "outcome", "referral", "party_kinds", "region",
    "sessions", "session_minutes", "total_minutes", "opened", "closed", "duration_band",
    "language", "replacements",
)  # fmt: skip


def csv_row(doc: dict[str, Any]) -> list[str]:
    case = doc["case"]
    return [
        f"{doc['format']}/{doc['version']}", case["mediation_type"], case["outcome"],
        case["referral"], ";".join(case["party_kinds"]), case["region"], str(case["sessions"]),
        ";".join(str(m) for m in case["session_minutes"]), str(case["total_minutes"]),
        case["opened"], case["closed"], case["duration_band"], doc["summary"]["language"],
        str(len(doc["summary"]["replacements"])),
    ]  # fmt: skip


def summary_csv(docs: Iterable[dict[str, Any]]) -> str:
    """The structured part of one or more summaries, one row each (no free text)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for doc in docs:
        writer.writerow(csv_row(doc))
    return buffer.getvalue()


_HTML_WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Résumé anonymisé de médiation",
        "mediation_type": "Type de médiation",
        "outcome": "Issue",
        "referral": "Origine",
        "party_kinds": "Parties",
        "region": "Région",
        "sessions": "Nombre de séances",
        "total_minutes": "Durée totale des séances (minutes)",
        "opened": "Ouverture",
        "closed": "Clôture",
        "duration_band": "Durée du dossier",
        "summary": "Résumé",
        "note": "Document anonymisé : les noms sont remplacés par des rôles et les "
        "identifiants par des marqueurs entre crochets.",
    },
    "en": {
        "title": "Anonymised mediation summary",
        "mediation_type": "Type of mediation",
        "outcome": "Outcome",
        "referral": "Referral",
        "party_kinds": "Parties",
        "region": "Region",
        "sessions": "Number of sessions",
        "total_minutes": "Total length of sessions (minutes)",
        "opened": "Opened",
        "closed": "Closed",
        "duration_band": "Length of the case",
        "summary": "Summary",
        "note": "Anonymised document: names are replaced by roles and identifiers by "
        "placeholders in square brackets.",
    },
}

_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 12pt/1.5 Georgia, serif; max-width: 42rem; margin: 2rem auto; color: #111; }}
dl {{ display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }}
dt {{ font-weight: bold; }} dd {{ margin: 0; }}
.summary p {{ white-space: pre-wrap; }} .note {{ font-size: 10pt; color: #444; }}
@media print {{ body {{ margin: 0; }} }}
</style></head>
<body>
{body}
</body></html>
"""


def summary_html(doc: dict[str, Any]) -> str:
    """A printable page; every value is escaped."""
    lang = doc["summary"]["language"]
    words = _HTML_WORDS[lang]
    case = dict(doc["case"], party_kinds=", ".join(doc["case"]["party_kinds"]))
    rows = "\n".join(
        f"<dt>{escape(words[key])}</dt><dd>{escape(str(case[key]))}</dd>"
        for key in (
            "mediation_type", "outcome", "referral", "party_kinds", "region", "sessions",
            "total_minutes", "opened", "closed", "duration_band",
        )
    )  # fmt: skip
    paragraphs = "\n".join(
        f"<p>{escape(p)}</p>" for p in doc["summary"]["text"].split("\n\n") if p.strip()
    )
    body = (
        f"<h1>{escape(words['title'])}</h1>\n<dl>\n{rows}\n</dl>\n"
        f'<section class="summary"><h2>{escape(words["summary"])}</h2>\n{paragraphs}\n</section>\n'
        f'<p class="note">{escape(words["note"])}</p>\n'
        f'<p class="note">{escape(doc["format"])} v{doc["version"]} — '
        f"{escape(doc['generated_at'])}</p>"
    )
    return _PAGE.format(lang=lang, title=escape(words["title"]), body=body)


# ------------------------------------------------------------ report to the judge

_COURT: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Médiation judiciaire — information du juge",
        "reference": "Référence de la juridiction : {ref}",
        "yes": "Le médiateur informe la juridiction que les parties sont parvenues à un accord.",
        "no": "Le médiateur informe la juridiction que les parties ne sont pas parvenues à "
        "un accord.",
        "date": "Fait le {day}.",
    },
    "en": {
        "title": "Court-ordered mediation — report to the judge",
        "reference": "Court reference: {ref}",
        "yes": "The mediator informs the court that the parties reached an agreement.",
        "no": "The mediator informs the court that the parties did not reach an agreement.",
        "date": "Dated {day}.",
    },
}


def court_report_lines(reference: str, agreement: bool, day: date, language: str) -> list[str]:
    """Exactly: the court's reference, whether an agreement was reached, the date."""
    words = _COURT[check_language(language)]
    return [
        words["title"],
        words["reference"].format(ref=reference),
        words["yes" if agreement else "no"],
        words["date"].format(day=day.isoformat()),
    ]


def court_report_text(reference: str, agreement: bool, day: date, language: str) -> str:
    title, *rest = court_report_lines(reference, agreement, day, language)
    return "\n\n".join([title, *rest]) + "\n"


def court_report_html(reference: str, agreement: bool, day: date, language: Language) -> str:
    title, *rest = court_report_lines(reference, agreement, day, language)
    body = f"<h1>{escape(title)}</h1>\n" + "\n".join(f"<p>{escape(line)}</p>" for line in rest)
    return _PAGE.format(lang=language, title=escape(title), body=body)
