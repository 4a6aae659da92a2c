"""Small grammatical repairs around a replaced name, so that the text still reads.

French: "d'Élodie" becomes "de Partie A" (no elision before a consonant);
"qu'Élodie" becomes "que Partie A", and the other way round "de Marc"
becomes "d'Intervenant" when the label starts with a vowel; "de" + "le médiateur" becomes "du
médiateur", "à" + "le médiateur" becomes "au médiateur"; an article before a
label that has its own ("le Dr Caron" for "l'experte") is dropped. Both languages: a
label that starts in lower case ("le médiateur", "the mediator") takes a
capital at the start of a sentence. Each repair widens the span to the
left (to take in the elided or contracted word) and returns the new start
and replacement; the original text is never modified otherwise.
"""

from __future__ import annotations

import re

from records.anonymise.model import Language

_ELIDED = re.compile(r"(?<![\w])(?P<word>[dD]|[jJ]usqu|[lL]orsqu|[pP]uisqu|[qQ]u)['’]$")
_DE_A = re.compile(r"(?<![\w])(?P<word>de|De|à|À)\s+$")
_TO_ELIDE = re.compile(r"(?<![\w])(?P<word>[dD]e|[qQ]ue|[jJ]usque|[lL]orsque|[pP]uisque)\s+$")
_ARTICLE_BEFORE = re.compile(r"(?<![\w])(?:le|la|les|Le|La|Les|the|The)\s+$")
_ARTICLE_LABEL = re.compile(r"^(?:le|la|les|l'|l’|the)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?:^|[.!?:]\s+|\n\s*|[«\"“(]\s*)$")
_VOWELS = "aeiouyhàâäéèêëîïôöùûüœAEIOUYHÀÂÄÉÈÊËÎÏÔÖÙÛÜŒ"
_CONTRACTIONS = {
    ("de", "le "): "du ",
    ("de", "les "): "des ",
    ("à", "le "): "au ",
    ("à", "les "): "aux ",
}


def adjust(text: str, start: int, replacement: str, language: Language) -> tuple[int, str]:
    """The (possibly earlier) start and the replacement fitted to what precedes ``start``."""
    head = text[max(0, start - 20) : start]
    if language == "fr" and replacement:
        elided = _ELIDED.search(head)
        if elided and replacement[0] not in _VOWELS:
            word = elided.group("word")
            start -= len(elided.group())
            full = "de" if word in "dD" else word + "e"
            combined = f"{full} {replacement}"
            for (prep, article), merged in _CONTRACTIONS.items():
                if full == prep and replacement.startswith(article):
                    combined = merged + replacement[len(article) :]
            if word[0].isupper():
                combined = combined[0].upper() + combined[1:]
            head = text[max(0, start - 20) : start]
            return _contract(text, start, combined, head, language)
        to_elide = _TO_ELIDE.search(head)
        if to_elide and replacement[0] in _VOWELS and replacement[0] not in "hH":
            word = to_elide.group("word")
            return start - len(to_elide.group()), f"{word[:-1]}'{replacement}"
        contracted = _DE_A.search(head)
        if contracted:
            word = contracted.group("word")
            for (prep, article), merged in _CONTRACTIONS.items():
                if word.lower() == prep and replacement.startswith(article):
                    new_start = start - len(contracted.group())
                    merged_cap = merged.capitalize() if word[0].isupper() else merged
                    return new_start, merged_cap + replacement[len(article) :]
    return _contract(text, start, replacement, head, language)


def _contract(
    text: str, start: int, replacement: str, head: str, language: Language
) -> tuple[int, str]:
    article = _ARTICLE_BEFORE.search(head)
    if article and _ARTICLE_LABEL.match(replacement):
        start -= len(article.group())
        head = text[max(0, start - 20) : start]
    if replacement and replacement[0].islower() and _SENTENCE_END.search(head):
        replacement = replacement[0].upper() + replacement[1:]
    return start, replacement
