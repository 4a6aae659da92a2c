"""Every visible string goes through the fr/en catalogue, and both catalogues are complete."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

JS = Path(__file__).resolve().parents[2] / "frontend" / "static" / "js"
LITERAL_KEY = re.compile(r"""\bt\(\s*'([a-zA-Z_.]+)'""")
DATA_KEY = re.compile(r'data-i18n(?:-aria)?="([a-zA-Z_.]+)"')


def catalogue(lang: str) -> dict[str, str]:
    script = f"import('{JS / 'i18n' / lang}.js').then(m => console.log(JSON.stringify(m.default)))"
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True)
    result: dict[str, str] = json.loads(out.stdout)
    return result


def test_french_and_english_have_the_same_keys() -> None:
    fr, en = catalogue("fr"), catalogue("en")
    assert set(fr) == set(en)
    assert all(v.strip() for v in [*fr.values(), *en.values()])


def test_every_key_the_pages_use_exists() -> None:
    keys = set(catalogue("fr"))
    used: set[str] = set()
    for path in JS.rglob("*.js"):
        if "i18n" not in path.parts:
            used |= set(LITERAL_KEY.findall(path.read_text()))
    for html in (JS.parent.parent).glob("*.html"):
        used |= set(DATA_KEY.findall(html.read_text()))
    assert used, "the scan found no keys"
    assert sorted(used - keys) == []


def test_no_page_builds_html_from_strings() -> None:
    for path in JS.rglob("*.js"):
        text = path.read_text()
        for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
            assert forbidden not in text, f"{path.name} uses {forbidden}"


def areas(lang: str) -> dict[str, dict[str, str]]:
    script = f"import('{JS / 'i18n' / lang}.js').then(m => console.log(JSON.stringify(m.AREAS)))"
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True)
    result: dict[str, dict[str, str]] = json.loads(out.stdout)
    return result


def test_each_area_file_holds_the_same_keys_in_both_languages() -> None:
    fr, en = areas("fr"), areas("en")
    assert set(fr) == set(en)
    assert {area: sorted(set(fr[area]) ^ set(en[area])) for area in fr} == {a: [] for a in fr}
    for files in (sorted((JS / "i18n" / lang).glob("*.js")) for lang in ("fr", "en")):
        assert [path.stem for path in files] == sorted(fr)  # every area file is merged


def test_no_key_is_in_two_area_files() -> None:
    for lang in ("fr", "en"):
        seen: dict[str, str] = {}
        twice = []
        for area, keys in areas(lang).items():
            twice += [f"{key}: {seen[key]} and {area}" for key in keys if key in seen]
            seen.update(dict.fromkeys(keys, area))
        assert twice == []
        assert len(seen) == len(catalogue(lang))
