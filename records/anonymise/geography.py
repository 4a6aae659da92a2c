"""French départements, their regions, postcode to département, and large towns.

A small offline table written for Palabre: the 101 départements (96 in
metropolitan France, 5 overseas) with the region they belong to since 2016,
the rule from a postcode to its département (first two digits; Corsica's
20xxx split between 2A and 2B; three digits overseas), and the département
of about 130 of the largest towns. Postcodes follow départements with a few
border exceptions (a handful of communes are served by a neighbouring
département's sorting office): good enough to generalise, never to route.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from records.anonymise.folding import fold_words

ARA, BFC, BRE, CVL = (
    "Auvergne-Rhône-Alpes",
    "Bourgogne-Franche-Comté",
    "Bretagne",
    "Centre-Val de Loire",
)
COR, GES, HDF, IDF = "Corse", "Grand Est", "Hauts-de-France", "Île-de-France"
NOR, NAQ, OCC, PDL = "Normandie", "Nouvelle-Aquitaine", "Occitanie", "Pays de la Loire"
PAC = "Provence-Alpes-Côte d'Azur"


@dataclass(frozen=True, slots=True)
class Departement:
    code: str
    name: str
    region: str


_TABLE: tuple[tuple[str, str, str], ...] = (
    ("01", "Ain", ARA), ("02", "Aisne", HDF), ("03", "Allier", ARA),
    ("04", "Alpes-de-Haute-Provence", PAC), ("05", "Hautes-Alpes", PAC),
    ("06", "Alpes-Maritimes", PAC), ("07", "Ardèche", ARA), ("08", "Ardennes", GES),
    ("09", "Ariège", OCC), ("10", "Aube", GES), ("11", "Aude", OCC), ("12", "Aveyron", OCC),
    ("13", "Bouches-du-Rhône", PAC), ("14", "Calvados", NOR), ("15", "Cantal", ARA),
    ("16", "Charente", NAQ), ("17", "Charente-Maritime", NAQ), ("18", "Cher", CVL),
    ("19", "Corrèze", NAQ), ("2A", "Corse-du-Sud", COR), ("2B", "Haute-Corse", COR),
    ("21", "Côte-d'Or", BFC), ("22", "Côtes-d'Armor", BRE), ("23", "Creuse", NAQ),
    ("24", "Dordogne", NAQ), ("25", "Doubs", BFC), ("26", "Drôme", ARA), ("27", "Eure", NOR),
    ("28", "Eure-et-Loir", CVL), ("29", "Finistère", BRE), ("30", "Gard", OCC),
    ("31", "Haute-Garonne", OCC), ("32", "Gers", OCC), ("33", "Gironde", NAQ),
    ("34", "Hérault", OCC), ("35", "Ille-et-Vilaine", BRE), ("36", "Indre", CVL),
    ("37", "Indre-et-Loire", CVL), ("38", "Isère", ARA), ("39", "Jura", BFC),
    ("40", "Landes", NAQ), ("41", "Loir-et-Cher", CVL), ("42", "Loire", ARA),
    ("43", "Haute-Loire", ARA), ("44", "Loire-Atlantique", PDL), ("45", "Loiret", CVL),
    ("46", "Lot", OCC), ("47", "Lot-et-Garonne", NAQ), ("48", "Lozère", OCC),
    ("49", "Maine-et-Loire", PDL), ("50", "Manche", NOR), ("51", "Marne", GES),
    ("52", "Haute-Marne", GES), ("53", "Mayenne", PDL), ("54", "Meurthe-et-Moselle", GES),
    ("55", "Meuse", GES), ("56", "Morbihan", BRE), ("57", "Moselle", GES),
    ("58", "Nièvre", BFC), ("59", "Nord", HDF), ("60", "Oise", HDF), ("61", "Orne", NOR),
    ("62", "Pas-de-Calais", HDF), ("63", "Puy-de-Dôme", ARA),
    ("64", "Pyrénées-Atlantiques", NAQ), ("65", "Hautes-Pyrénées", OCC),
    ("66", "Pyrénées-Orientales", OCC), ("67", "Bas-Rhin", GES), ("68", "Haut-Rhin", GES),
    ("69", "Rhône", ARA), ("70", "Haute-Saône", BFC), ("71", "Saône-et-Loire", BFC),
    ("72", "Sarthe", PDL), ("73", "Savoie", ARA), ("74", "Haute-Savoie", ARA),
    ("75", "Paris", IDF), ("76", "Seine-Maritime", NOR), ("77", "Seine-et-Marne", IDF),
    ("78", "Yvelines", IDF), ("79", "Deux-Sèvres", NAQ), ("80", "Somme", HDF),
    ("81", "Tarn", OCC), ("82", "Tarn-et-Garonne", OCC), ("83", "Var", PAC),
    ("84", "Vaucluse", PAC), ("85", "Vendée", PDL), ("86", "Vienne", NAQ),
    ("87", "Haute-Vienne", NAQ), ("88", "Vosges", GES), ("89", "Yonne", BFC),
    ("90", "Territoire de Belfort", BFC), ("91", "Essonne", IDF),
    ("92", "Hauts-de-Seine", IDF), ("93", "Seine-Saint-Denis", IDF),
    ("94", "Val-de-Marne", IDF), ("95", "Val-d'Oise", IDF),
    ("971", "Guadeloupe", "Guadeloupe"), ("972", "Martinique", "Martinique"),
    ("973", "Guyane", "Guyane"), ("974", "La Réunion", "La Réunion"),
    ("976", "Mayotte", "Mayotte"),
)  # fmt: skip

DEPARTEMENTS: dict[str, Departement] = {code: Departement(code, n, r) for code, n, r in _TABLE}
REGIONS: tuple[str, ...] = tuple(sorted({d.region for d in DEPARTEMENTS.values()}))

# The largest towns (and every préfecture met in practice), folded name -> département.
_TOWNS: dict[str, str] = {
    "paris": "75", "marseille": "13", "lyon": "69", "toulouse": "31", "nice": "06",
    "nantes": "44", "montpellier": "34", "strasbourg": "67", "bordeaux": "33", "lille": "59",
    "rennes": "35", "toulon": "83", "reims": "51", "saint etienne": "42", "le havre": "76",
    "villeurbanne": "69", "dijon": "21", "grenoble": "38", "angers": "49", "nimes": "30",
    "aix en provence": "13", "clermont ferrand": "63", "le mans": "72", "brest": "29",
    "tours": "37", "amiens": "80", "annecy": "74", "limoges": "87", "metz": "57",
    "boulogne billancourt": "92", "perpignan": "66", "besancon": "25", "orleans": "45",
    "rouen": "76", "montreuil": "93", "caen": "14", "argenteuil": "95", "mulhouse": "68",
    "nancy": "54", "tourcoing": "59", "roubaix": "59", "nanterre": "92",
    "vitry sur seine": "94", "creteil": "94", "avignon": "84", "poitiers": "86",
    "aubervilliers": "93", "asnieres sur seine": "92", "colombes": "92", "dunkerque": "59",
    "aulnay sous bois": "93", "versailles": "78", "courbevoie": "92",
    "rueil malmaison": "92", "beziers": "34", "la rochelle": "17", "pau": "64",
    "cherbourg en cotentin": "50", "champigny sur marne": "94", "antibes": "06",
    "merignac": "33", "saint maur des fosses": "94", "ajaccio": "2A", "cannes": "06",
    "saint nazaire": "44", "drancy": "93", "noisy le grand": "93",
    "issy les moulineaux": "92", "cergy": "95", "levallois perret": "92", "colmar": "68",
    "calais": "62", "pessac": "33", "venissieux": "69", "evry courcouronnes": "91",
    "clichy": "92", "quimper": "29", "ivry sur seine": "94", "valence": "26",
    "bourges": "18", "antony": "92", "cayenne": "973", "la seyne sur mer": "83",
    "montauban": "82", "troyes": "10", "villeneuve d ascq": "59", "pantin": "93",
    "chambery": "73", "niort": "79", "le blanc mesnil": "93", "neuilly sur seine": "92",
    "sarcelles": "95", "frejus": "83", "lorient": "56", "villejuif": "94",
    "narbonne": "11", "beauvais": "60", "hyeres": "83", "maisons alfort": "94",
    "meaux": "77", "chelles": "77", "saint quentin": "02", "vannes": "56", "bayonne": "64",
    "cholet": "49", "fort de france": "972", "saint paul": "974", "saint pierre": "974",
    "le tampon": "974", "les abymes": "971", "mamoudzou": "976", "saint denis": "974",
    "bastia": "2B", "laval": "53", "epinay sur seine": "93", "arles": "13",
    "carcassonne": "11", "saint malo": "35", "blois": "41", "brive la gaillarde": "19",
    "angouleme": "16", "sete": "34", "belfort": "90", "albi": "81", "chateauroux": "36",
    "chalon sur saone": "71", "evreux": "27", "charleville mezieres": "08", "tarbes": "65",
    "saint brieuc": "22", "nevers": "58", "auxerre": "89", "macon": "71", "gap": "05",
    "digne les bains": "04", "privas": "07", "foix": "09", "rodez": "12", "aurillac": "15",
    "perigueux": "24", "chartres": "28", "auch": "32", "mont de marsan": "40",
    "le puy en velay": "43", "cahors": "46", "agen": "47", "mende": "48", "saint lo": "50",
    "chaumont": "52", "bar le duc": "55", "lons le saunier": "39", "vesoul": "70",
    "epinal": "88", "alencon": "61", "arras": "62", "moulins": "03", "laon": "02",
    "gueret": "23", "tulle": "19", "melun": "77", "lens": "62", "douai": "59",
    "valenciennes": "59", "saint herblain": "44", "reze": "44", "bobigny": "93",
    "la roche sur yon": "85", "basse terre": "971", "pointe a pitre": "971",
}  # fmt: skip
# Towns whose name is shared: a postcode, when given, settles them.
_SHARED = {"saint denis": ("974", "93"), "saint pierre": ("974",), "saint paul": ("974",)}

_POSTCODE = re.compile(r"^\d{5}$")


def departement(code: str) -> Departement:
    """The département with ``code`` ("01".."95", "2A", "2B", "971".."976")."""
    found = DEPARTEMENTS.get(code.strip().upper())
    if found is None:
        raise ValueError(f"unknown département code {code!r}")
    return found


def departement_of_postcode(postcode: str) -> Departement:
    """The département a French postcode belongs to; ``ValueError`` if not French-metropolitan
    or overseas-département (Monaco, Saint-Pierre-et-Miquelon and the Pacific are refused)."""
    code = postcode.strip().replace(" ", "")
    if not _POSTCODE.match(code) or code.startswith("00"):
        raise ValueError(f"not a French postcode: {postcode!r}")
    if code.startswith("20"):
        return DEPARTEMENTS["2A" if int(code[2]) < 2 else "2B"]
    if code.startswith("97"):
        return departement(code[:3])
    if code.startswith(("96", "98", "99")):
        raise ValueError(f"postcode {postcode!r} is not in a French département")
    return departement(code[:2])


def normalise_town(name: str) -> str:
    """Folded town name: no accents, no hyphens, "St"/"Ste" spelled out."""
    words = fold_words(name).split()
    expanded = {"st": "saint", "ste": "sainte"}
    return " ".join(expanded.get(w, w) for w in words)


def departement_of_town(town: str, postcode: str | None = None) -> Departement:
    """The département of one of the listed towns; a postcode settles shared names
    and is used alone when the town is not listed. ``ValueError`` if unknown."""
    key = normalise_town(re.sub(r"\b(?:cedex)\b.*$", "", town, flags=re.IGNORECASE))
    if postcode is not None:
        by_code = departement_of_postcode(postcode)
        if key in _SHARED and by_code.code in _SHARED[key]:
            return by_code
        if key not in _TOWNS:
            return by_code
    code = _TOWNS.get(key)
    if code is None:
        raise ValueError(f"town {town!r} is not in the offline table; give its postcode")
    return DEPARTEMENTS[code]


def known_towns() -> tuple[str, ...]:
    return tuple(sorted(_TOWNS))
