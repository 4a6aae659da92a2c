"""Word lists used to match names: titles, surname particles, legal forms, common words.

``COMMON_WORDS`` holds folded (lower case, unaccented) French and English
words that are also frequent first names or surnames. A name token found in
it is *ambiguous*: it is replaced only in a name-like context (see
:mod:`records.anonymise.names`). The list is short on purpose; the rule errs
towards replacing, since a missed name is worse than an odd placeholder.
"""

from __future__ import annotations

# Titles before a name; folded. Abbreviations count only when capitalised in
# the text ("Me Girard", not "tell me"); full words count in any case
# ("monsieur Martin" is standard French).
FULL_TITLES = frozenset(
    {
        "monsieur", "madame", "mademoiselle", "maitre", "docteur", "professeur",
        "messieurs", "mesdames", "miss", "mister", "sir", "dame", "lady", "lord", "doctor",
        "professor", "judge", "juge", "president", "presidente", "monseigneur",
    }
)  # fmt: skip
ABBREVIATED_TITLES = frozenset(
    {"m", "mm", "mme", "mmes", "mlle", "mlles", "me", "dr", "pr", "mr", "mrs", "ms", "prof"}
)
TITLES = FULL_TITLES | ABBREVIATED_TITLES

# Particles that belong to the surname that follows ("de la Fontaine", "Van der Berg").
PARTICLES = frozenset(
    {"de", "du", "des", "d", "le", "la", "les", "van", "von", "der", "den", "di", "da", "del",
     "della", "dos", "das", "ter", "ten", "mac", "ben", "el", "al", "st", "saint", "sainte"}
)  # fmt: skip

# First parts of place names glued to a name by a hyphen ("Saint-Martin", "Mont-Blanc").
PLACE_PREFIXES = frozenset(
    {"saint", "sainte", "st", "ste", "san", "santa", "mont", "pont", "port", "val", "bourg",
     "fort", "villa", "ville", "champ", "bois", "puy", "notre", "dame"}
)  # fmt: skip

# Articles and link words that do not make an organisation name distinctive.
ORG_FILLERS = frozenset(
    {"le", "la", "les", "l", "de", "du", "des", "d", "et", "the", "of", "and", "a", "au", "aux",
     "en", "sur", "&"}
)  # fmt: skip

# Legal forms and generic heads of French and British organisation names.
LEGAL_FORMS = frozenset(
    {"sci", "sarl", "sas", "sasu", "sa", "eurl", "snc", "scp", "selarl", "selas", "gie", "scm",
     "scop", "sem", "ei", "eirl", "ltd", "llc", "llp", "inc", "plc", "gmbh", "bv", "nv", "spa",
     "srl", "association", "societe", "company", "co", "corp", "limited", "cabinet", "syndic",
     "agence", "groupe", "entreprise", "etablissements", "ets", "garage", "boulangerie",
     "restaurant", "hotel", "pharmacie", "clinique", "institut", "group", "holding"}
)  # fmt: skip

COMMON_WORDS = frozenset(
    {
        # French
        "martin", "rose", "blanc", "blanche", "pierre", "marchand", "petit", "petite", "roux",
        "brun", "brune", "noir", "boucher", "boulanger", "meunier", "berger", "bergere",
        "mercier", "fontaine", "roche", "chevalier", "marin", "fort", "grand", "gros", "bon",
        "bonne", "lion", "loup", "renard", "roy", "roi", "masson", "charpentier", "moulin",
        "poirier", "bois", "faucon", "pigeon", "coq", "poisson", "mouton", "colombe",
        "violette", "marguerite", "olive", "prune", "hortense", "constant", "prudent",
        "aimable", "fidele", "desire", "clement", "juste", "franc", "franche", "aime",
        "joyeux", "vaillant", "leger", "court", "long", "large", "haut", "bas", "jeune",
        "vieux", "beau", "belle", "sage", "fleur", "lys", "hiver", "avril", "mai", "juin",
        "noel", "paris", "france", "riviere", "lac", "val", "colin", "merle", "pin", "chene",
        "bonheur", "vigne", "page", "lecture", "laurier", "sauvage",
        "maire", "garde", "ange", "aurore", "celeste",
        "claire", "constance", "esperance", "prudence", "victoire",
        "cordier", "tailleur", "potier", "barbier", "messager",
        "loyal", "gentil", "doux", "salle", "tour", "porte", "mur", "champ",
        "verger", "jardin", "foret", "marais", "baron", "comte", "duc", "prince", "pape",
        "bouvier", "vacher", "bonnet", "chapeau", "mouchoir", "leveque", "chasseur",
        "pecheur", "sergent", "soldat", "capitaine",
        # English
        "mark", "bill", "will", "hope", "grace", "joy", "faith", "may", "june", "april",
        "summer", "brown", "white", "black", "green", "young", "king", "cook", "baker",
        "smith", "miller", "carpenter", "mason", "hunter", "fisher", "bird", "fox", "wolf",
        "lamb", "bell", "hill", "wood", "woods", "stone", "field", "lane", "ford", "park",
        "rich", "sharp", "strong", "short", "little", "frank", "earnest", "sterling", "dean",
        "chase", "drew", "guy", "jack", "sandy", "penny", "pearl", "ruby", "amber", "iris",
        "lily", "daisy", "ivy", "holly", "heather", "robin", "jay", "gray", "grey", "price",
        "cash", "law", "porter", "walker", "turner", "cooper", "archer", "gardener",
        "rice", "bush", "rivers", "banks", "waters", "story", "noble", "sweet", "love",
        "hand", "head", "moore", "wells", "brook", "marsh", "north", "south", "west", "east",
        "august", "dawn", "patience", "harmony", "destiny", "honor", "honour", "major",
        "bishop", "pope", "frost", "hale", "snow", "rain", "knight", "steward", "butler",
        "chamberlain", "sergeant",
    }
)  # fmt: skip


def is_common(folded_word: str) -> bool:
    """True when ``folded_word`` (lower case, unaccented) is also a common word."""
    return folded_word in COMMON_WORDS
