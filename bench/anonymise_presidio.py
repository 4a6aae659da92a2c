"""Presidio's analyzer against Palabre's anonymiser, on the annotated corpus of summaries.

Both run on the same 60-odd French and English summaries of
tests/records/anonymise/fixtures (and the held-out ones of heldout/), scored
the same way (tests/records/anonymise/scoring.py): recall per gold group,
precision per kind. Presidio's analyzer (the optional ``bench`` extra:
``presidio-analyzer``) is given the same installed spaCy pipelines as its NLP
engine, so nothing is downloaded; tldextract, which its e-mail recogniser
uses, is set to its bundled public-suffix snapshot for the same reason.
Presidio's entity types are mapped onto Palabre's kinds (PERSON, LOCATION →
PLACE, ORGANIZATION, EMAIL_ADDRESS, PHONE_NUMBER, IBAN_CODE, CREDIT_CARD,
UK_NHS, UK_NINO, US_SSN, IP_ADDRESS, URL, DATE_TIME); the others (NRP,
MEDICAL_LICENSE, US_* numbers...) are counted apart. Presidio does not know the
case's list: a listed person it finds counts as found.

    .venv/bin/python bench/anonymise_presidio.py

Prints the three tables (Palabre with the model, Palabre's rules alone,
Presidio) and writes bench/results/anonymise-presidio.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from records.anonymise import KnownNames, anonymise  # noqa: E402
from records.anonymise.engine import render  # noqa: E402
from records.anonymise.model import AnonymisedText, Kind, Replacement, check_language  # noqa: E402
from records.anonymise.pipelines import PIPELINES  # noqa: E402
from tests.records.anonymise.corpus import FIXTURES, Case, load_cases  # noqa: E402
from tests.records.anonymise.scoring import Score, score, table  # noqa: E402
from tests.records.anonymise.test_heldout import HELDOUT  # noqa: E402

KINDS = {
    "PERSON": Kind.PERSON,
    "LOCATION": Kind.PLACE,
    "ORGANIZATION": Kind.ORGANISATION,
    "EMAIL_ADDRESS": Kind.EMAIL,
    "PHONE_NUMBER": Kind.PHONE,
    "IBAN_CODE": Kind.IBAN,
    "CREDIT_CARD": Kind.CARD,
    "UK_NHS": Kind.NHS,
    "UK_NINO": Kind.NINO,
    "US_SSN": Kind.SSN,
    "IP_ADDRESS": Kind.IP,
    "URL": Kind.URL,
    "DATE_TIME": Kind.DATE,
}


def presidio_analyzer() -> Any:
    """Presidio's analyzer on the installed pipelines, with no network access."""
    import tldextract
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())
    models = [{"lang_code": lang, "model_name": spec.package} for lang, spec in PIPELINES.items()]
    provider = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy", "models": models})
    return AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=list(PIPELINES))


class PresidioAnonymiser:
    """Presidio's findings as an :class:`AnonymisedText`, overlaps resolved longest first."""

    def __init__(self, analyzer: Any) -> None:
        self.analyzer = analyzer
        self.unmapped: Counter[str] = Counter()
        self.seconds = 0.0

    def __call__(self, text: str, language: str, names: KnownNames) -> AnonymisedText:
        started = time.perf_counter()
        found = self.analyzer.analyze(text=text, language=language)
        self.seconds += time.perf_counter() - started
        spans = []
        for r in found:
            kind = KINDS.get(r.entity_type)
            if kind is None:
                self.unmapped[r.entity_type] += 1
            else:
                spans.append((r.start, r.end, kind, r.score))
        spans.sort(key=lambda s: (-(s[1] - s[0]), -s[3], s[0]))
        taken: list[Replacement] = []
        for start, end, kind, _ in spans:
            if any(t.start < end and start < t.end for t in taken):
                continue
            item = Replacement(f"p{len(taken)}", start, end, kind, text[start:end], f"<{kind}>")
            taken.append(item)
        rendered, placed = render(text, taken)
        return AnonymisedText(text, check_language(language), rendered, placed)


def _figures(result: Score) -> dict[str, Any]:
    return {
        "recall": {g: round(t.recall, 4) for g, t in sorted(result.recall.items())},
        "gold": {g: t.gold for g, t in sorted(result.recall.items())},
        "identifier_recall": round(result.identifier_recall(), 4),
        "precision": {k.value: round(t.precision, 4) for k, t in result.precision.items()},
        "predicted": {k.value: t.predicted for k, t in result.precision.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--out", default=str(ROOT / "bench" / "results" / "anonymise-presidio.json")
    )
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    cases: list[Case] = load_cases(FIXTURES) + load_cases(HELDOUT)
    started = time.perf_counter()
    presidio = PresidioAnonymiser(presidio_analyzer())
    presidio_load = time.perf_counter() - started

    def ours(text: str, language: str, names: KnownNames) -> AnonymisedText:
        return anonymise(text, language, names)

    def rules(text: str, language: str, names: KnownNames) -> AnonymisedText:
        return anonymise(text, language, names, model=False)

    out: dict[str, Any] = {"cases": len(cases), "presidio_load_seconds": round(presidio_load, 2)}
    for name, anonymiser in (
        ("palabre", ours),
        ("palabre_rules_only", rules),
        ("presidio", presidio),
    ):
        started = time.perf_counter()
        result = score(cases, anonymiser)
        elapsed = time.perf_counter() - started
        print(f"\n{name}: {len(cases)} cases, {1000 * elapsed / len(cases):.1f} ms per case")
        print(table(result))
        out[name] = _figures(result) | {"ms_per_case": round(1000 * elapsed / len(cases), 2)}
    out["presidio_unmapped_entity_types"] = dict(presidio.unmapped.most_common())
    print(f"\nPresidio entity types with no Palabre kind: {dict(presidio.unmapped)}")
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
