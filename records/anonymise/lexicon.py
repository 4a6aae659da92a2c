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
     "restaurant", "hotel", "pharmacie", "clinique", "institut", "group", "holding",
     "nursery", "creche"}
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


# Frequent first names in France and in Britain, folded. A capitalised one
# followed by a capitalised word is taken as a person's name even without a
# title or a relationship word; alone only when it is not a common word.
FIRST_NAMES = frozenset(
    """
    jean pierre michel philippe alain nicolas christophe patrick christian daniel david eric
    frederic laurent stephane olivier julien sebastien thomas pascal francois vincent antoine
    alexandre guillaume maxime romain kevin lucas hugo louis gabriel arthur jules leo raphael
    paul marc luc yves bernard gerard andre jacques rene henri claude bruno didier thierry
    franck serge herve gilles denis fabrice jerome mathieu florian quentin baptiste theo enzo
    nathan mathis tom noah adam ethan sacha timeo mael samuel simon victor benjamin clement
    marie nathalie isabelle sylvie catherine francoise christine monique valerie sandrine
    sophie veronique stephanie celine nicole patricia martine helene laurence emilie julie
    aurelie caroline virginie camille lea manon chloe emma ines jade louise alice lina rose
    anna mila julia zoe lucie sarah clara juliette margaux lola pauline marion justine elodie
    charlotte amandine melanie audrey laetitia anne agnes brigitte chantal claire corinne
    danielle dominique florence genevieve jacqueline josiane madeleine odile paulette suzanne
    yvette yvonne odette colette jeanne marguerite gisele mireille beatrice delphine estelle
    fanny gaelle karine lydie morgane noemie oceane solene vanessa yasmine fatima amina karim
    mohamed ahmed youssef mehdi rachid samir nadia leila sonia myriam
    james john robert michael william richard joseph charles christopher matthew anthony
    mark donald steven andrew kenneth joshua george edward brian ronald timothy jason jeffrey
    ryan jacob gary nicholas eric stephen jonathan larry justin scott brandon frank gregory
    raymond patrick jack dennis jerry tyler aaron henry douglas peter oliver harry charlie
    alfie freddie archie oscar leo logan alexander luke callum connor liam owen rhys dylan
    mary patricia jennifer linda elizabeth barbara susan jessica margaret karen nancy lisa
    betty helen sandra donna carol ruth sharon michelle laura kimberly deborah amy angela
    melissa rebecca emily olivia amelia isla ava mia isabella sophia grace lily freya ella
    evie poppy ruby florence charlotte jessica hannah lucy chloe megan holly abigail
    eleanor harriet imogen rachel victoria katherine catherine joanne gemma kelly natalie
    alexis jordan mickael michael marcel carole cyril xavier hubert lionel emile roger lucien
    raymond gerard yannick ludovic cedric damien jeremy loic gregory arnaud benoit regis
    sylvain franck joel fernand maurice marcel albert robert georges roland
    kylian mateo matheo nolan eden axel noa rayan ilyes ilian ilan yanis amir bilal idriss
    sofiane walid nassim ryad adel farid hakim malik omar ali hamid mourad
    romane ambre lou nina eva lena louna maelle capucine agathe apolline victoire margot
    clemence mathilde heloise elise lise anais oriane lisa marine audrey severine muriel
    nadine sabine josette lucette ginette raymonde renee germaine huguette simone denise
    paulette lucienne micheline annie jocelyne evelyne murielle ghislaine nelly lina
    samia karima latifa malika naima houria zohra yasmina aicha aisha imane sabrina
    minh lan linh thi van duc anh mai huong tuan hung
    kirsty geoffrey jodie joan keith maureen imran siobhan edna wayne lee dave jake lorraine
    hollie kerry kyle barry darren sam beverley vikram aanya rohan arjun priya ravi anil
    sunita deepak raj neil ian colin trevor derek graham nigel clive barrie martyn gareth
    dylan rhian sian bethan carys eleri ffion gwen cerys aled iwan gethin dai dafydd
    shannon kayleigh stacey leanne jade chelsea bethany jasmine courtney tracey tracy
    shirley pauline maxine dawn jean june brenda doreen eileen sheila pat val beryl
    gordon stuart alan martin terry tony kevin craig dean shaun sean gavin wesley carl
    jean-louis jean-marc jean-paul jean-claude jean-luc jean-michel jean-francois
    jean-baptiste jean-jacques marie-claire marie-therese marie-christine anne-marie
    anne-sophie marie-helene marie-laure pierre-yves
    ross jamie kieran declan ciaran niamh aoife saoirse orla roisin siobhan mairead
    gwenaelle maelys maelis maely kader nolwenn gwenola soizic erwan gwendal tanguy ronan
    goulven maiwenn enora katell anaelle lilou lya celia salome romy mathilda louisa leonie
    lucile elsa alix adele charline coralie cindy laure laurine emeline amelie sylviane ghislain
    gaetan gauthier thibault thibaut tristan valentin bastien corentin killian loris lorenzo
    ewen evan esteban gael yael nael naim wassim yacine yassine zakaria soufiane abdel
    abdelkader abdallah mustapha mostafa hassan hocine khaled kamel lakhdar larbi messaoud
    mohand nordine noureddine redouane slimane tarek tahar yazid zinedine djamel fatiha farida
    habiba khadija kheira meriem nawel ouarda rachida sihem souad wahiba yamina zahra zoubida
    jocelyn joelle liliane marcelle mauricette nadege nathanael pascale patrice philippine
    regine rolande roselyne solange sylvette viviane yolande ashley bradley chantelle ellie
    elliot elliott hayley kayla lewis phoebe reece scarlett seren sienna
    """.split()
)


def is_common(folded_word: str) -> bool:
    """True when ``folded_word`` (lower case, unaccented) is also a common word."""
    return folded_word in COMMON_WORDS
