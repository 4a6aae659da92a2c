"""Benchmark of free-text anonymisation: 1,000 generated case summaries of ~2,000 characters.

Each summary names the case's listed people and organisation and, like real ones,
people and places the case does not list (children, a judge, a new partner, a
doctor, a school, a small town) and official numbers (CAF, passport, docket), so
the whole rules path runs. Pinned to one core, it loads both named-entity
pipelines (load time and resident memory reported), then measures the rules
alone and the rules with the model in the same run: time per case (median,
p95, mean), the peak memory per case and over 200 cases (tracemalloc), written
to bench/results/anonymise.json. Run from the repository root:

    .venv/bin/python bench/anonymise.py [--cases 1000] [--seed 1]

``--export`` anonymises *and exports* every case through the export code of
the server: role labels from the case's people (``records.anonymise.summaries.known_names``),
the review with one manual redaction replayed, the versioned JSON document,
its CSV row and the printable HTML page (bench/results/anonymise-export.json).
``--export --api`` goes through the real HTTP routes instead, on a temporary
SQLite database with encryption at rest and the audit log: close the case
(summary stored encrypted), review, confirm, export JSON
(bench/results/anonymise-export-api.json); its peak memory is the process's
maximum resident set (no tracing, which would slow the server down).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from records.anonymise import (  # noqa: E402
    KnownNames,
    KnownOrganisation,
    KnownPerson,
    anonymise,
    pipelines,
)
from records.anonymise.checksums import luhn_valid, nir_key  # noqa: E402
from records.anonymise.model import Reason  # noqa: E402
from records.anonymise.names import _person_regex  # noqa: E402
from records.anonymise.organisations import _org_regex  # noqa: E402
from records.anonymise.summaries import (  # noqa: E402
    Facts,
    NamedPerson,
    known_names,
    review,
    summary_csv,
    summary_document,
    summary_html,
)
from records.migrate import upgrade  # noqa: E402

GIVEN = ["Jeanne", "Paul", "Élodie", "Jean-Pierre", "Marie-Claire", "Karim", "Rose", "Hugo",
         "Nadia", "Olivier", "Sophie", "Thomas", "Fatima", "Luc", "Chloé", "Mehdi"]  # fmt: skip
SURNAMES = ["Martin", "Girard", "Blanc", "Marchand", "Leblanc", "Bonnefoy", "Dubois", "Haddad",
            "Roussel", "Fontaine", "Lambert", "Petit", "Garnier", "Nguyen", "Le Goff"]  # fmt: skip
CHILDREN = ["Léa", "Hugo", "Emma", "Lucas", "Manon", "Nathan", "Inès", "Sandrine", "Camille"]
OTHER_SURNAMES = ["Vidal", "Pujol", "Aubert", "Chevalier", "Mercier", "Rolland", "Barbier"]
SMALL_TOWNS = ["Onet-le-Château", "Villefranche-de-Rouergue", "Millau", "Espalion"]
ORGS = ["SCI Les Tilleuls", "SARL Menuiserie du Port", "Garage Central Auto", "EURL Jardins Verts"]
TOWNS = [("69003", "Lyon"), ("13005", "Marseille"), ("44300", "Nantes"), ("75011", "Paris")]
SENTENCES = [
    "{a} et {b} se sont rencontrés en séance plénière le {date}.",
    "{a_title} explique que la situation dure depuis des mois et pèse sur toute la famille.",
    "{b_first} répond qu'il a toujours été de bonne foi et qu'il souhaite trouver une solution.",
    "Le conseil de {a_first}, {counsel}, rappelle que l'accord sera homologué (RG 24/0{n4}).",
    "La {org} réclame {amount} euros au titre des loyers impayés.",
    "Coordonnées communiquées : {email}, {phone}.",
    "{a_short} habite au {street}, {postcode} {town}.",
    "Le virement sera fait sur le compte {iban}.",
    "Le numéro de sécurité sociale {nir} a été retiré du dossier.",
    "L'entreprise est immatriculée sous le SIRET {siret}.",
    "Le véhicule {plate} est stationné devant le garage.",
    "La médiatrice a rappelé le cadre : confidentialité, volontariat, neutralité, impartialité.",
    "Les parties conviennent de se revoir après avoir consulté leurs conseils respectifs.",
    "Une rose blanche avait été déposée sur le mur en pierre du jardin.",
    # people and places the case does not list, and the identifiers of issue 16
    "{a_first} et {b_first} sont les parents de {child1} ({age1} ans) et de {child2}, "
    "scolarisés à l'école {school} de {town_small}.",
    "Le juge aux affaires familiales, Mme {judge}, a renvoyé les parties en médiation.",
    "Sa nouvelle compagne, {partner}, habite à {town_small}.",
    "Le pédiatre de {child1}, le docteur {doctor}, a été consulté au CHU de {town}.",
    "Numéro allocataire CAF {caf} ; passeport {passport}.",
    "La grand-mère maternelle, Mme {grandma}, garde {child2} le mercredi.",
]


def _luhn_complete(prefix: str) -> str:
    return next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))


def _iban(rnd: random.Random) -> str:
    bban = "".join(rnd.choice("0123456789") for _ in range(23))
    check = 98 - int(bban + "152700") % 97
    raw = f"FR{check:02d}{bban}"
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def _nir(rnd: random.Random) -> str:
    body = f"{rnd.choice('12')}{rnd.randint(40, 99):02d}{rnd.randint(1, 12):02d}"
    body += f"{rnd.randint(1, 95):02d}{rnd.randint(1, 999):03d}{rnd.randint(1, 999):03d}"
    body = body.replace("20", "21", 1) if body[5:7] == "20" else body
    key = nir_key(body)
    return f"{body[0]} {body[1:3]} {body[3:5]} {body[5:7]} {body[7:10]} {body[10:13]} {key:02d}"


def _siret(rnd: random.Random) -> str:
    siren = _luhn_complete("".join(rnd.choice("0123456789") for _ in range(8)))
    for est in range(10, 100):
        candidate = siren + f"000{est}"[:4]
        for digit in "0123456789":
            if luhn_valid(candidate + digit):
                s = candidate + digit
                return f"{s[:3]} {s[3:6]} {s[6:9]} {s[9:]}"
    raise AssertionError("unreachable")


def generate_case(rnd: random.Random) -> tuple[str, KnownNames]:
    a_given, b_given = rnd.sample(GIVEN, 2)
    a_sur, b_sur, c_sur = rnd.sample(SURNAMES, 3)
    org = rnd.choice(ORGS)
    names = KnownNames(
        (
            KnownPerson(f"{a_given} {a_sur}", "Partie A"),
            KnownPerson(f"{b_given} {b_sur}", "Partie B"),
            KnownPerson(f"Maître Paul {c_sur}", "Conseil de la partie A"),
        ),
        (KnownOrganisation(org, "Société X"),),
    )
    postcode, town = rnd.choice(TOWNS)
    child1, child2, partner_given = rnd.sample(CHILDREN, 3)
    fields = {
        "child1": child1,
        "child2": child2,
        "age1": rnd.randint(3, 17),
        "school": rnd.choice(["Jean-Moulin", "Jules-Ferry", "Victor-Hugo"]),
        "town_small": rnd.choice(SMALL_TOWNS),
        "judge": f"{rnd.choice(GIVEN)} {rnd.choice(OTHER_SURNAMES)}",
        "partner": f"{partner_given} {rnd.choice(OTHER_SURNAMES)}",
        "doctor": f"{rnd.choice(GIVEN)} {rnd.choice(OTHER_SURNAMES)}",
        "grandma": rnd.choice(OTHER_SURNAMES),
        "caf": "".join(rnd.choice("0123456789") for _ in range(7)),
        "passport": f"{rnd.randint(10, 99)}{rnd.choice('ABCDEF')}{rnd.choice('GHKLM')}"
        f"{rnd.randint(10000, 99999)}",
        "a": f"{a_given} {a_sur}",
        "b": f"M. {b_given} {b_sur}",
        "a_title": f"Mme {a_sur}",
        "a_first": a_given,
        "b_first": b_given,
        "a_short": f"{a_given[0]}. {a_sur}",
        "counsel": f"Me {c_sur}",
        "org": org,
        "date": f"{rnd.randint(1, 28)} mars {rnd.randint(2020, 2025)}",
        "n4": rnd.randint(1000, 9999),
        "amount": f"{rnd.randint(1, 99)} {rnd.randint(100, 999)}",
        "email": f"{a_given.lower()}.{a_sur.lower().replace(' ', '')}@exemple.fr",
        "phone": "06 " + " ".join(f"{rnd.randint(0, 99):02d}" for _ in range(4)),
        "street": f"{rnd.randint(1, 120)} rue des {rnd.choice(['Lilas', 'Tilleuls', 'Acacias'])}",
        "postcode": postcode,
        "town": town,
        "iban": _iban(rnd),
        "nir": _nir(rnd),
        "siret": _siret(rnd),
        "plate": f"{rnd.choice('ABCDEFGH')}{rnd.choice('KLMNPR')}-{rnd.randint(100, 999)}-"
        f"{rnd.choice('STVWXYZ')}{rnd.choice('ABCDEF')}",
    }
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < 2000:
        parts.append(rnd.choice(SENTENCES).format(**fields))
    return " ".join(parts)[:2100], names


def _people(names: KnownNames) -> list[NamedPerson]:
    roles = ("party", "party", "counsel")
    return [NamedPerson(p.name, role) for p, role in zip(names.people, roles, strict=True)]


def _timing_figures(timings: list[float]) -> dict[str, float]:
    ordered = sorted(timings)
    return {
        "ms_per_case_mean": round(1000 * statistics.mean(timings), 3),
        "ms_per_case_median": round(1000 * statistics.median(timings), 3),
        "ms_per_case_p95": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 3),
        "total_seconds": round(sum(timings), 3),
    }


def _write(figures: dict[str, object], out: Path) -> None:
    for key, value in figures.items():
        print(f"{key:>32}: {value}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"written to {out}")


def export_one(text: str, names: KnownNames, now: datetime) -> tuple[int, int]:
    """Anonymise and export one case as the server does; returns (replacements, bytes)."""
    known = known_names(_people(names), [o.name for o in names.organisations], "fr")
    start = text.index("famille") if "famille" in text else 0
    edits = [{"op": "redact", "start": start, "end": start + 7}] if start else []
    result = review(text, "fr", known, edits)
    facts = Facts(
        mediation_type="family", outcome="partial_agreement", referral="voluntary",
        party_kinds=("individual", "company"), region="Auvergne-Rhône-Alpes", departement="69",
        session_minutes=(90, 120), opened=date(2026, 1, 5), closed=date(2026, 4, 2),
    )  # fmt: skip
    doc = summary_document(facts, result, now)
    size = len(json.dumps(doc, ensure_ascii=False)) + len(summary_csv([doc]))
    size += len(summary_html(doc))
    return len(result.replacements), size


def bench_export(cases: list[tuple[str, KnownNames]], out: Path) -> int:
    now = datetime.now(UTC)
    export_one(*cases[0], now)
    timings: list[float] = []
    replacements = size = 0
    for text, names in cases:
        started = time.perf_counter()
        n, b = export_one(text, names, now)
        timings.append(time.perf_counter() - started)
        replacements += n
        size += b
    tracemalloc.start()  # a second pass: tracing slows the code it measures
    for text, names in cases:
        export_one(text, names, now)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    figures: dict[str, object] = {
        "mode": "anonymise + export (JSON, CSV, HTML), pure code path",
        "cases": len(cases),
        "mean_chars": round(statistics.mean(len(t) for t, _ in cases)),
        "replacements_per_case": round(replacements / len(cases), 1),
        "export_bytes_per_case": round(size / len(cases)),
        **_timing_figures(timings),
        "tracemalloc_peak_kib_all_cases": round(peak / 1024, 1),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    _write(figures, out)
    return 0


async def _bench_api(cases: list[tuple[str, KnownNames]], out: Path) -> int:
    from aiohttp.test_utils import TestClient, TestServer

    from server.app import create_app
    from server.config import load_config
    from server.context import SERVICES
    from server.passwords import hash_password
    from server.security import CSRF_COOKIE, CSRF_HEADER

    with tempfile.TemporaryDirectory() as tmp:
        config = load_config({"PALABRE_VAR_DIR": tmp, "PALABRE_PUBLIC_URL": "http://127.0.0.1"})
        await asyncio.to_thread(upgrade, config.database_url)
        app = await create_app(config)
        await app[SERVICES].accounts.create_mediator(
            "bench@example.org", "Anne Médiatrice", hash_password("a long bench password")
        )
        async with TestServer(app) as server, TestClient(server) as client:
            await client.get("/healthz")
            jar = client.session.cookie_jar.filter_cookies(client.make_url("/"))
            headers = {CSRF_HEADER: jar[CSRF_COOKIE].value}
            login = {"email": "bench@example.org", "password": "a long bench password"}
            assert (await client.post("/api/login", json=login, headers=headers)).status == 200
            timings: list[float] = []
            closing_timings: list[float] = []
            for i, (text, names) in enumerate(cases):
                people = _people(names)
                body = {
                    "reference": f"B-{i}", "title": "Bench", "mediation_type": "family",
                    "participants": [{"display_name": p.name, "role": p.role} for p in people],
                }  # fmt: skip
                case = await (await client.post("/api/cases", json=body, headers=headers)).json()
                base = f"/api/cases/{case['id']}"
                closing = {
                    "outcome": "partial_agreement", "referral": "voluntary",
                    "party_kinds": ["individual", "company"], "departement": "69",
                    "session_minutes": [90, 120], "summary": text,
                    "organisations": [o.name for o in names.organisations],
                }  # fmt: skip
                started = time.perf_counter()
                r = await client.put(f"{base}/closing", json=closing, headers=headers)
                assert r.status == 200, await r.text()
                closing_timings.append(time.perf_counter() - started)
                started = time.perf_counter()
                state = await (await client.get(f"{base}/summary/review")).json()
                edit = {"op": "redact", "start": 0, "end": 3}
                r = await client.put(
                    f"{base}/summary/review", json={"edits": [edit], "confirm": True},
                    headers=headers,
                )  # fmt: skip
                assert r.status == 200, await r.text()
                r = await client.get(f"{base}/summary/export?format=json")
                assert r.status == 200, await r.text()
                doc = await r.json()
                timings.append(time.perf_counter() - started)
                assert doc["summary"]["text"] != state["original"]
    figures: dict[str, object] = {
        "mode": "HTTP API on SQLite: review + confirm (with one redaction) + JSON export",
        "cases": len(cases),
        "mean_chars": round(statistics.mean(len(t) for t, _ in cases)),
        **_timing_figures(timings),
        "closing_ms_per_case_mean": round(1000 * statistics.mean(closing_timings), 3),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    _write(figures, out)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--export", action="store_true", help="anonymise and export each case")
    parser.add_argument("--api", action="store_true", help="with --export: through HTTP routes")
    parser.add_argument("--out", default=None)
    parser.add_argument("--all-cores", action="store_true", help="do not pin to one core")
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    cases = [generate_case(rnd) for _ in range(args.cases)]
    results = ROOT / "bench" / "results"
    if args.export and args.api:
        logging.disable(logging.INFO)
        return asyncio.run(
            _bench_api(cases, Path(args.out or results / "anonymise-export-api.json"))
        )
    if args.export:
        return bench_export(cases, Path(args.out or results / "anonymise-export.json"))
    args.out = args.out or str(results / "anonymise.json")
    if not args.all_cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says
    rss_before = _rss_mib()
    load_seconds: dict[str, float] = {}
    load_cpu: dict[str, float] = {}
    for language in ("fr", "en"):
        started, started_cpu = time.perf_counter(), time.thread_time()
        pipelines.load(language)
        load_seconds[language] = round(time.perf_counter() - started, 3)
        load_cpu[language] = round(time.thread_time() - started_cpu, 3)
    figures: dict[str, object] = {
        "cases": len(cases),
        "mean_chars": round(statistics.mean(len(t) for t, _ in cases)),
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "model_load_seconds": load_seconds,
        "model_load_cpu_seconds": load_cpu,
        "rss_mib_before_load": rss_before,
        "rss_mib_after_load": _rss_mib(),
        "rules_only": _measure(cases, model=False),
        "rules_and_model": _measure(cases, model=True),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    _write(figures, Path(args.out))
    return 0


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _measure(cases: list[tuple[str, KnownNames]], *, model: bool) -> dict[str, object]:
    """Time per case (warm caches), cold time (regexes compiled anew), peak memory per case."""
    anonymise(cases[0][0], "fr", cases[0][1], model=model)  # warm the caches
    timings: list[float] = []
    cpu: list[float] = []  # CPU time of this thread: what one core spends, whatever the load
    replacements = suggestions = 0
    for text, names in cases:
        started, started_cpu = time.perf_counter(), time.thread_time()
        result = anonymise(text, "fr", names, model=model)
        timings.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - started_cpu)
        replacements += len(result.replacements)
        suggestions += sum(r.reason is Reason.MODEL for r in result.replacements)

    # cold: the per-person regular expressions compiled anew for every case, as for a
    # server that anonymises each case once
    cold: list[float] = []
    for text, names in cases[:200]:
        _person_regex.cache_clear()
        _org_regex.cache_clear()
        started = time.perf_counter()
        anonymise(text, "fr", names, model=model)
        cold.append(time.perf_counter() - started)

    # peak memory of one case: what anonymising it allocates on top of what was live before
    tracemalloc.start()
    per_case: list[int] = []
    for text, names in cases[:200]:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        anonymise(text, "fr", names, model=model)
        per_case.append(tracemalloc.get_traced_memory()[1] - before)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "mode": "rules and the named-entity model" if model else "rules only",
        "replacements_per_case": round(replacements / len(cases), 1),
        "model_suggestions_per_case": round(suggestions / len(cases), 2),
        **_timing_figures(timings),
        "cpu_ms_per_case_mean": round(1000 * statistics.mean(cpu), 3),
        "cpu_ms_per_case_median": round(1000 * statistics.median(cpu), 3),
        "cpu_ms_per_case_p95": round(1000 * sorted(cpu)[int(0.95 * (len(cpu) - 1))], 3),
        "ms_per_case_cold_mean_200_cases": round(1000 * statistics.mean(cold), 3),
        "tracemalloc_peak_kib_per_case_median": round(statistics.median(per_case) / 1024, 1),
        "tracemalloc_peak_kib_per_case_max": round(max(per_case) / 1024, 1),
        "tracemalloc_peak_kib_200_cases": round(peak / 1024, 1),
    }


if __name__ == "__main__":
    raise SystemExit(main())
