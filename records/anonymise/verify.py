"""Checking that the installed pipelines are the official releases they claim to be.

The reference (``reference/spacy_pipelines.json``) keeps facts of Explosion's
release metadata for each pipeline (explosion/spacy-models,
``meta/<name>-<version>.json``): version, spaCy version range and git
revision, labels, pipeline and components, every performance figure, data
sources, the release wheel's sha256; and the sha256 of the files of the
package as reviewed. :func:`verify` compares the installed package with it:

* the package's ``meta.json``, field by field, equals the release metadata,
  except the fields a re-upload renamed, each listed in the reference with
  its exact value (``repackaged``); any other difference is a problem;
* ``accuracy.json`` (the evaluation written when the pipeline was trained)
  equals the release's performance block, figure by figure;
* the package's Python code is only spaCy's standard loader (checked on its
  syntax tree: two imports, ``__version__``, a ``load`` that calls
  ``load_model_from_init_py``), and the package holds no other code;
* the weights, vocabulary and configuration files have the reviewed sha256;
* the installed spaCy is within the release's version range.

Returns a list of problems (empty when the package is the verified one).
"""

from __future__ import annotations

import ast
import hashlib
import json
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from records.anonymise.model import Language
from records.anonymise.pipelines import PIPELINES, package_path

REFERENCE = Path(__file__).with_name("reference") / "spacy_pipelines.json"
# fields of meta.json that the release tooling adds or that name the package
_NOT_COMPARED = frozenset({"checksum", "checksum_whl", "size"})
_CODE_SUFFIXES = (".py", ".pyc", ".so", ".pth", ".pyd")


@cache
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return data


def canonical_sha256(value: object) -> str:
    """sha256 of ``value`` as sorted, compact JSON (how the reference fingerprints blocks)."""
    encoded = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_meta(meta: dict[str, Any], ref: dict[str, Any]) -> list[str]:
    """Differences between a package's meta.json and the release metadata facts."""
    problems: list[str] = []
    renamed: dict[str, Any] = ref.get("repackaged", {})
    expected: dict[str, Any] = {
        "lang": ref["lang"],
        "name": ref["official_name"].split("_", 1)[1],
        "version": ref["version"],
        "spacy_version": ref["spacy_version"],
        "spacy_git_version": ref["spacy_git_version"],
        "license": ref["license"],
        "vectors": ref["vectors"],
        "pipeline": ref["pipeline"],
        "components": ref["components"],
        "disabled": ref["disabled"],
        "requirements": [],
    }
    for key in ("name", "spacy_version", "requirements"):
        if key in renamed:
            expected[key] = renamed[key]
    for key, value in expected.items():
        if meta.get(key) != value:
            problems.append(f"meta.json {key}: {meta.get(key)!r}, release has {value!r}")
    prefix = renamed.get("description_starts")
    description = str(meta.get("description", ""))
    if prefix is not None and not description.startswith(prefix):
        problems.append("meta.json description is not the one reviewed")
    if canonical_sha256(meta.get("labels")) != ref["labels_sha256"]:
        problems.append("meta.json labels differ from the release's")
    if meta.get("labels", {}).get("ner") != ref["ner_labels"]:
        problems.append("meta.json entity labels differ from the release's")
    problems += check_performance(meta.get("performance"), ref, "meta.json performance")
    sources = [{"name": s.get("name"), "url": s.get("url")} for s in meta.get("sources", [])]
    if sources != ref["sources"]:
        problems.append("meta.json sources differ from the release's")
    known = set(expected) | {"description", "labels", "performance", "sources"} | _NOT_COMPARED
    known |= {"author", "email", "url"}
    for key in sorted(set(meta) - known):
        problems.append(f"meta.json has a field the release does not: {key}")
    return problems


def check_performance(performance: object, ref: dict[str, Any], where: str) -> list[str]:
    """The evaluation figures must be the release's, every one of them."""
    if not isinstance(performance, dict):
        return [f"{where} is missing"]
    problems = [
        f"{where} {key}: {performance.get(key)!r}, release has {value!r}"
        for key, value in ref["performance_figures"].items()
        if performance.get(key) != value
    ]
    if canonical_sha256(performance) != ref["performance_sha256"]:
        problems.append(f"{where} differs from the release's (per-type figures)")
    return problems


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def check_loader(source: str) -> list[str]:
    """The package's ``__init__.py`` must be spaCy's standard loader and nothing else."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ["__init__.py does not parse"]
    body = tree.body
    shapes = [type(node).__name__ for node in body]
    if shapes != ["ImportFrom", "ImportFrom", "Assign", "FunctionDef"]:
        return [f"__init__.py is not the standard loader (statements: {shapes})"]
    first, second, version, load = body
    assert isinstance(first, ast.ImportFrom) and isinstance(second, ast.ImportFrom)
    assert isinstance(version, ast.Assign) and isinstance(load, ast.FunctionDef)
    problems: list[str] = []
    if first.module != "pathlib" or [a.name for a in first.names] != ["Path"]:
        problems.append("__init__.py imports something other than pathlib.Path")
    if second.module != "spacy.util" or {a.name for a in second.names} != {
        "load_model_from_init_py",
        "get_model_meta",
    }:
        problems.append("__init__.py imports something other than spaCy's loader")
    if not (len(version.targets) == 1 and _is_name(version.targets[0], "__version__")):
        problems.append("__init__.py assigns something other than __version__")
    calls = [n for n in ast.walk(version.value) if isinstance(n, ast.Call)]
    if {c.func.id for c in calls if isinstance(c.func, ast.Name)} != {"get_model_meta", "Path"}:
        problems.append("__init__.py computes __version__ otherwise than from meta.json")
    if not (
        load.name == "load"
        and len(load.body) == 1
        and isinstance(load.body[0], ast.Return)
        and isinstance(load.body[0].value, ast.Call)
        and _is_name(load.body[0].value.func, "load_model_from_init_py")
        and load.decorator_list == []
    ):
        problems.append("__init__.py load() does more than call spaCy's loader")
    return problems


def _spacy_in_range(range_spec: str) -> bool:
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(range_spec).contains(metadata.version("spacy"))


def verify(language: Language) -> list[str]:
    """Problems found with the installed pipeline for ``language``; empty when verified."""
    spec = PIPELINES[language]
    ref = reference()["pipelines"][language]
    problems: list[str] = []
    try:
        installed = metadata.version(spec.package)
        data = package_path(language)
    except (ImportError, metadata.PackageNotFoundError):
        return [f"{spec.package} is not installed"]
    if installed != ref["version"]:
        problems.append(f"{spec.package} {installed} installed, expected {ref['version']}")
    package = data.parent
    problems += check_meta(json.loads((data / "meta.json").read_text("utf-8")), ref)
    accuracy = json.loads((data / "accuracy.json").read_text("utf-8"))
    problems += check_performance(accuracy, ref, "accuracy.json")
    problems += check_loader((package / "__init__.py").read_text("utf-8"))
    extra_code = sorted(
        str(p.relative_to(package))
        for p in package.rglob("*")
        if p.suffix in _CODE_SUFFIXES and p.name != "__init__.py" and "__pycache__" not in p.parts
    )
    if extra_code:
        problems.append(f"the package holds code besides its loader: {extra_code}")
    for relative, digest in ref["package_files_sha256"].items():
        path = package / relative
        if not path.is_file():
            problems.append(f"{relative} is missing")
        elif _sha256(path) != digest:
            problems.append(f"{relative} is not the reviewed file")
    if not _spacy_in_range(ref["spacy_version"]):
        problems.append(
            f"the installed spaCy is outside the release's range {ref['spacy_version']}"
        )
    return problems
