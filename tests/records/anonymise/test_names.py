"""Known names: variants, titles, possessives, and the common-word rule."""

from __future__ import annotations

import pytest

from records.anonymise.engine import anonymise
from records.anonymise.known import KnownNames, KnownOrganisation, KnownPerson
from records.anonymise.names import accept_person, parse_person

NAMES = KnownNames(
    people=(
        KnownPerson("Jeanne Martin", "Partie A"),
        KnownPerson("Maître Paul Girard", "Conseil de la partie A"),
        KnownPerson("Jean-Pierre Rose", "Partie B"),
        KnownPerson("Élodie Blanc", "le médiateur"),
        KnownPerson("Anne de la Fontaine", "Partie C"),
        KnownPerson("Marie Claire Bonnefoy", "Partie D", aliases=("Mimi",)),
        KnownPerson("Luc Dupont-Moretti", "Partie E"),
    ),
    organisations=(KnownOrganisation("SCI Les Tilleuls", "Société X"),),
)


def fr(text: str) -> str:
    return anonymise(text, "fr", NAMES).text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jeanne Martin est venue.", "Partie A est venue."),
        ("JEANNE MARTIN est venue.", "Partie A est venue."),
        ("jeanne martin est venue.", "Partie A est venue."),
        ("Mme Martin est venue.", "Partie A est venue."),
        ("Madame Jeanne Martin est venue.", "Partie A est venue."),
        ("MARTIN Jeanne est venue.", "Partie A est venue."),
        ("Martin, Jeanne est venue.", "Partie A est venue."),
        ("J. Martin est venue.", "Partie A est venue."),
        ("J.M. est venue.", "Partie A est venue."),
        ("Jeanne est venue.", "Partie A est venue."),
        ("Me Girard plaide.", "Conseil de la partie A plaide."),
        ("Maître Paul Girard plaide.", "Conseil de la partie A plaide."),
        ("maître girard plaide.", "Conseil de la partie A plaide."),
        ("Jean Pierre Rose arrive.", "Partie B arrive."),
        ("Jean-Pierre arrive.", "Partie B arrive."),
        ("J.-P. Rose arrive.", "Partie B arrive."),
        ("JP Rose arrive.", "Partie B arrive."),
        ("Anne de la Fontaine signe.", "Partie C signe."),
        ("Mme de la Fontaine signe.", "Partie C signe."),
        ("Marie-Claire Bonnefoy signe.", "Partie D signe."),
        ("Marie signe.", "Partie D signe."),
        ("Mimi signe.", "Partie D signe."),
        ("M. Dupont-Moretti signe ; Dupont Moretti aussi.", "Partie E signe ; Partie E aussi."),
        ("La SCI Les Tilleuls paie ; les Tilleuls aussi.", "La Société X paie ; Société X aussi."),
    ],
)
def test_variants(text: str, expected: str) -> None:
    assert fr(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("le dossier d'Élodie", "le dossier du médiateur"),
        ("le dossier de Jeanne", "le dossier de Partie A"),
        ("le dossier d’Élodie Blanc", "le dossier du médiateur"),
        ("Il dit qu'Élodie a raison.", "Il dit que le médiateur a raison."),
        ("Élodie Blanc ouvre la séance.", "Le médiateur ouvre la séance."),
        ("Je parle à Mme Blanc.", "Je parle au médiateur."),
    ],
)
def test_french_grammar_around_labels(text: str, expected: str) -> None:
    assert fr(text) == expected


def test_english_possessive_and_titles() -> None:
    names = KnownNames(
        (KnownPerson("Sarah Martin", "Party A"), KnownPerson("Tom Hale", "the mediator"))
    )
    result = anonymise("Mrs Martin's lawyer met Mr Hale. Tom Hale agreed.", "en", names)
    assert result.text == "Party A's lawyer met the mediator. The mediator agreed."


@pytest.mark.parametrize(
    "text",
    [
        "une rose rouge",
        "le mur est blanc",
        "le blanc des volets",
        "un martin-pêcheur",
        "la rue Saint-Martin",
        "de bonne foi",
        "un tas de pierres et une pierre",
        "un marchand de biens",
        "des jeannettes et des paulines",
        "les tilleuls du parc",
    ],
)
def test_common_words_are_left_alone(text: str) -> None:
    names = KnownNames(
        people=(
            KnownPerson("Jeanne Martin", "A"),
            KnownPerson("Pierre Blanc", "B"),
            KnownPerson("Rose Marchand", "C"),
            KnownPerson("Paul Leblanc", "D"),
            KnownPerson("Luc Bonnefoy", "E"),
        ),
        organisations=(KnownOrganisation("SCI Les Tilleuls", "X"),),
    )
    assert anonymise(text, "fr", names).text == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rose est venue.", "C est venue."),
        ("Il a vu Blanc hier.", "Il a vu B hier."),
        ("M. blanc", "B"),
        ("madame rose", "C"),
        ("pierre blanc", "pierre blanc"),
        ("Pierre blanc", "B"),
        ("leblanc", "D"),
        ("LEBLANC", "D"),
        ("Bonnefoy", "E"),
    ],
)
def test_common_word_rule(text: str, expected: str) -> None:
    names = KnownNames(
        people=(
            KnownPerson("Pierre Blanc", "B"),
            KnownPerson("Rose Marchand", "C"),
            KnownPerson("Paul Leblanc", "D"),
            KnownPerson("Luc Bonnefoy", "E"),
        )
    )
    assert anonymise(text, "fr", names).text == expected


def test_shared_surname_gets_the_neutral_placeholder() -> None:
    names = KnownNames(
        (KnownPerson("Jeanne Martin", "Partie A"), KnownPerson("Paul Martin", "Partie B"))
    )
    result = anonymise("Jeanne Martin, Paul Martin : les Martin.", "fr", names)
    assert result.text == "Partie A, Partie B : les [PERSONNE]."


def test_names_inside_emails_go_with_the_email() -> None:
    result = anonymise("Écrire à jeanne.martin@exemple.fr.", "fr", NAMES)
    assert result.text == "Écrire à [EMAIL]."
    assert [r.kind.value for r in result.replacements] == ["EMAIL"]


def test_parse_person() -> None:
    assert parse_person("Maître Paul Girard").given == ("Paul",)
    assert parse_person("Anne de la Fontaine").surname == ("de", "la", "Fontaine")
    assert parse_person("MARTIN Jeanne").surname == ("MARTIN",)
    assert parse_person("Rose").given == ()


def test_accept_person() -> None:
    assert accept_person("Girard") and accept_person("girard")
    assert accept_person("Rose") and not accept_person("rose")
    assert accept_person("J.M.") and not accept_person("j.m.")


def test_known_names_from_dict() -> None:
    names = KnownNames.from_dict(
        {"people": [{"name": "A B", "label": "X", "aliases": ["Bibi"]}], "organisations": []}
    )
    assert names.people[0].aliases == ("Bibi",)
    assert KnownNames.from_dict(names.to_dict()) == names


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"people": {}},
        {"people": [{"name": "A"}]},
        {"people": [{"name": "", "label": "X"}]},
        {"people": [{"name": "123", "label": "X"}]},
        {"people": [{"name": "A", "label": "X", "extra": 1}]},
        {"people": [{"name": "A", "label": "X", "aliases": "B"}]},
        {"persons": []},
    ],
)
def test_known_names_rejects_bad_input(data: object) -> None:
    with pytest.raises(ValueError):
        KnownNames.from_dict(data)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("identifiant jeanne.martin ici", "identifiant Partie A ici"),
        ("martin.jeanne a écrit", "Partie A a écrit"),
        ("M.Martin est venue", "Partie A est venue"),
        ("pseudo @jmartin", "pseudo Partie A"),
        ("pseudo @martin", "pseudo Partie A"),
        ("compte jeanne_martin84", "compte Partie A"),
        ("compte pgirard75", "compte Conseil de la partie A"),
        ("page @lestilleuls_officiel", "page Société X"),
        ("fichier martin.pdf", "fichier Partie A"),
        (
            "@rosegarden, le_martinet, v2.0, fontainebleau_77",
            "@rosegarden, le_martinet, v2.0, fontainebleau_77",
        ),
    ],
)
def test_handles_and_user_names(text: str, expected: str) -> None:
    assert fr(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mme Martin-Dupont est venue.", "Partie A est venue."),
        ("Jeanne Dupont-Martin aussi.", "Partie A aussi."),
        ("MME MARTIN-DUPONT", "Partie A"),
        ("la rue Saint-Martin", "la rue Saint-Martin"),
        ("le martin-pêcheur", "le martin-pêcheur"),
        ("au Mont-Blanc", "au Mont-Blanc"),
        ("Jean-Pierre Durand", "Jean-Pierre Durand"),
    ],
)
def test_compound_surnames(text: str, expected: str) -> None:
    """How listed names match inside compounds: the rules alone (the model would also
    take "Mont-Blanc" for a place, which is right but not what is tested here)."""
    names = KnownNames((KnownPerson("Jeanne Martin", "Partie A"), KnownPerson("Pierre Blanc", "B")))
    assert anonymise(text, "fr", names, model=False).text == expected


def test_shared_surname_told_apart_by_title_gender() -> None:
    names = KnownNames(
        (KnownPerson("Mme Jeanne Martin", "Partie A"), KnownPerson("M. Paul Martin", "Partie B"))
    )
    result = anonymise("Mme Martin et M. Martin ; les Martin ; Madame Martin.", "fr", names)
    assert result.text == "Partie A et Partie B ; les [PERSONNE] ; Partie A."


def test_elision_before_a_label_starting_with_a_vowel() -> None:
    names = KnownNames(
        (KnownPerson("Marc Durand", "Intervenant"),),
        (KnownOrganisation("Boulangerie Durand SARL", "Entreprise X"),),
    )
    result = anonymise("Le dossier de Marc. Il dit que Marc a raison.", "fr", names)
    assert result.text == "Le dossier d'Intervenant. Il dit qu'Intervenant a raison."
    result = anonymise("De Marc, rien.", "fr", names)
    assert result.text == "D'Intervenant, rien."
