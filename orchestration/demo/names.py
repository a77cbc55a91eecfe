"""Names of people and companies, and the ways an ERP clerk retypes a company name.

Pools are per naming culture so a German account is called "Rheintal Chemie GmbH" and its
owner "Jürgen Weber". Some names carry accents on purpose: encoding problems must be visible.
The ERP spells some customers differently from the CRM ("Acme GmbH" vs "ACME Gmbh.") so that
matching CRM accounts to ERP customers by name is a real task.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "en": (
        "James",
        "Mary",
        "Robert",
        "Patricia",
        "Michael",
        "Jennifer",
        "David",
        "Linda",
        "Daniel",
        "Sarah",
        "Kevin",
        "Laura",
        "Brian",
        "Emily",
        "Jason",
        "Megan",
        "Ryan",
        "Rachel",
        "Eric",
        "Nicole",
        "Olivia",
        "Noah",
        "Ethan",
        "Chloe",
        "Marcus",
        "Renée",
    ),
    "latam": (
        "Carlos",
        "Ana",
        "Luis",
        "Fernanda",
        "Diego",
        "Camila",
        "Mateo",
        "Valentina",
        "Rodrigo",
        "Gabriela",
        "Sebastián",
        "João",
        "Lucía",
        "Andrés",
        "Mariana",
    ),
    "de": (
        "Jürgen",
        "Anna",
        "Stefan",
        "Katrin",
        "Matthias",
        "Sabine",
        "Jörg",
        "Lena",
        "Tobias",
        "Julia",
        "Andreas",
        "Björn",
        "Birgit",
        "Markus",
        "Jonas",
        "Ute",
    ),
    "south": (
        "François",
        "Céline",
        "Hélène",
        "Jérôme",
        "Marco",
        "Giulia",
        "Luca",
        "Chiara",
        "Javier",
        "Lucía",
        "José",
        "María",
        "Inês",
        "Pedro",
        "Élodie",
        "Nicolò",
    ),
    "uki": (
        "Oliver",
        "Amelia",
        "Harry",
        "Isla",
        "George",
        "Sophie",
        "Conor",
        "Siobhán",
        "Callum",
        "Aoife",
        "William",
        "Grace",
        "Seán",
        "Eleanor",
    ),
    "anz": (
        "Jack",
        "Charlotte",
        "Lachlan",
        "Matilda",
        "Cooper",
        "Ruby",
        "Hamish",
        "Zoë",
        "Riley",
        "Mia",
        "Angus",
        "Harper",
    ),
    "jp": (
        "Hiroshi",
        "Yuki",
        "Takeshi",
        "Haruka",
        "Kenji",
        "Aiko",
        "Daisuke",
        "Emi",
        "Satoshi",
        "Naoko",
        "Kaito",
        "Sakura",
        "Ren",
        "Yui",
    ),
}

LAST_NAMES: dict[str, tuple[str, ...]] = {
    "en": (
        "Smith",
        "Johnson",
        "Williams",
        "Brown",
        "Jones",
        "Miller",
        "Davis",
        "Wilson",
        "Anderson",
        "Taylor",
        "Thomas",
        "Moore",
        "Martin",
        "Clark",
        "Lewis",
        "Walker",
        "Young",
        "Allen",
        "Wright",
        "Scott",
        "Nguyen",
        "Patel",
    ),
    "latam": (
        "Silva",
        "Santos",
        "Oliveira",
        "Pereira",
        "Rodríguez",
        "González",
        "Hernández",
        "López",
        "Martínez",
        "Gómez",
        "Díaz",
        "Ramírez",
        "Costa",
        "Araújo",
    ),
    "de": (
        "Müller",
        "Schmidt",
        "Schneider",
        "Fischer",
        "Weber",
        "Schäfer",
        "Wagner",
        "Becker",
        "Hoffmann",
        "Koch",
        "Groß",
        "Köhler",
        "Bauer",
        "Wolf",
        "Krüger",
    ),
    "south": (
        "Dubois",
        "Lefèvre",
        "Moreau",
        "Rossi",
        "Russo",
        "Bianchi",
        "García",
        "Fernández",
        "Martínez",
        "Gonçalves",
        "Ferreira",
        "Mercier",
        "Romano",
        "Núñez",
    ),
    "uki": (
        "Murphy",
        "O'Brien",
        "Kelly",
        "Walsh",
        "Evans",
        "Hughes",
        "Roberts",
        "Edwards",
        "Byrne",
        "MacDonald",
        "Campbell",
        "Price",
    ),
    "anz": (
        "Smith",
        "Wilson",
        "Thompson",
        "Ryan",
        "Kelly",
        "Campbell",
        "Stewart",
        "Ngata",
        "Harris",
        "Cameron",
        "Fraser",
        "Walker",
    ),
    "jp": (
        "Sato",
        "Suzuki",
        "Takahashi",
        "Tanaka",
        "Watanabe",
        "Ito",
        "Yamamoto",
        "Nakamura",
        "Kobayashi",
        "Kato",
        "Yoshida",
        "Yamada",
    ),
}

_COMPANY_STEMS: dict[str, tuple[str, ...]] = {
    "en": (
        "Acme",
        "Summit",
        "Pioneer",
        "Granite",
        "Cascade",
        "Liberty",
        "Redwood",
        "Atlas",
        "Keystone",
        "Frontier",
        "Harbor",
        "Ironclad",
        "Bluewater",
        "Prairie",
        "Evergreen",
        "Northstar",
        "Silverline",
        "Crestview",
        "Tri-State",
        "Great Lakes",
        "Lone Star",
        "Bayou",
        "Allegheny",
        "Sierra",
        "Chinook",
        "Timberline",
    ),
    "latam": (
        "Andina",
        "Pampa",
        "Amazonas",
        "Sierra Madre",
        "Pacífico",
        "Paulista",
        "Austral",
        "Cóndor",
        "Aconcagua",
        "Bahía",
        "Jalisco",
        "Magdalena",
        "Atacama",
        "Minas",
    ),
    "de": (
        "Müller",
        "Rheintal",
        "Nordwerk",
        "Schäfer",
        "Bergmann",
        "Süd",
        "Alpen",
        "Donau",
        "Weißbach",
        "Hansa",
        "Elbe",
        "Ruhr",
        "Brückner",
        "Kessler",
        "Falkenstein",
        "Bodensee",
        "Tiroler",
        "Zürcher",
    ),
    "south": (
        "Lefèvre",
        "Rhône",
        "Garonne",
        "Provence",
        "Loire",
        "Adriatica",
        "Lombarda",
        "Toscana",
        "Padana",
        "Ibérica",
        "Cantábrica",
        "Levante",
        "Lusitana",
        "Douro",
        "Vesuvio",
        "Castilla",
    ),
    "uki": (
        "Thames",
        "Pennine",
        "Clyde",
        "Mersey",
        "Highland",
        "Celtic",
        "Shannon",
        "Albion",
        "Severn",
        "Cotswold",
        "Tyne",
        "Liffey",
    ),
    "anz": (
        "Southern Cross",
        "Murray",
        "Pilbara",
        "Tasman",
        "Kiwi",
        "Outback",
        "Coral",
        "Harbour City",
        "Hunter Valley",
        "Canterbury",
        "Waikato",
        "Gippsland",
    ),
    "jp": (
        "Tanaka",
        "Nippon",
        "Osaka",
        "Kyoto",
        "Fuji",
        "Sakura",
        "Yamato",
        "Hokuriku",
        "Tohoku",
        "Chubu",
        "Setouchi",
        "Kansai",
    ),
}

_COMPANY_TRADES: dict[str, tuple[str, ...]] = {
    "en": (
        "Chemicals",
        "Process Systems",
        "Water Works",
        "Energy",
        "Mining",
        "Foods",
        "Pharma",
        "Paper Mills",
        "Refining",
        "Industrial Services",
        "Utilities",
        "Manufacturing",
        "Engineering",
        "Plastics",
        "Steel",
        "Fluid Handling",
        "Brewing",
        "Power",
    ),
    "latam": (
        "Química",
        "Minera",
        "Energía",
        "Alimentos",
        "Papel e Celulose",
        "Petroquímica",
        "Saneamiento",
        "Industrial",
        "Cervecería",
        "Aceros",
    ),
    "de": (
        "Chemie",
        "Anlagenbau",
        "Wasserwerke",
        "Energie",
        "Maschinenbau",
        "Lebensmittel",
        "Pharma",
        "Papierfabrik",
        "Stahlwerk",
        "Verfahrenstechnik",
        "Kunststoffe",
        "Brauerei",
    ),
    "south": (
        "Chimie",
        "Énergie",
        "Industries",
        "Papeteries",
        "Chimica",
        "Energia",
        "Meccanica",
        "Alimentare",
        "Química",
        "Energía",
        "Industrial",
        "Farmacéutica",
    ),
    "uki": (
        "Water",
        "Chemicals",
        "Engineering",
        "Process",
        "Distilleries",
        "Energy",
        "Utilities",
        "Foods",
        "Pharmaceuticals",
        "Paper",
    ),
    "anz": ("Mining", "Water", "Energy", "Dairy", "Resources", "Engineering", "Chemicals", "Minerals", "Foods"),
    "jp": (
        "Seiki",
        "Chemical",
        "Denki",
        "Steel Works",
        "Engineering",
        "Paper Mfg.",
        "Foods",
        "Kogyo",
        "Pharmaceutical",
    ),
}

_LEGAL_SUFFIXES: dict[str, tuple[str, ...]] = {
    "US": ("Inc.", "LLC", "Corp.", "Co."),
    "CA": ("Inc.", "Ltd.", "Corp."),
    "BR": ("Ltda.", "S.A."),
    "MX": ("S.A. de C.V.",),
    "AR": ("S.A.", "S.R.L."),
    "CL": ("S.A.", "SpA"),
    "CO": ("S.A.S.", "S.A."),
    "DE": ("GmbH", "AG", "GmbH & Co. KG"),
    "AT": ("GmbH", "AG"),
    "CH": ("AG", "SA"),
    "FR": ("SAS", "S.A."),
    "IT": ("S.p.A.", "S.r.l."),
    "ES": ("S.L.", "S.A."),
    "PT": ("Lda.", "S.A."),
    "GB": ("Ltd", "plc", "Limited"),
    "IE": ("Ltd", "DAC"),
    "AU": ("Pty Ltd",),
    "NZ": ("Ltd", "Limited"),
    "JP": ("K.K.", "Co., Ltd."),
}

_QUALIFIERS = (
    "North",
    "South",
    "East",
    "West",
    "Central",
    "Coastal",
    "United",
    "General",
    "Western",
    "Eastern",
    "Northern",
    "Southern",
)


def person_name(rng: np.random.Generator, culture: str) -> str:
    first = FIRST_NAMES[culture]
    last = LAST_NAMES[culture]
    return f"{first[rng.integers(len(first))]} {last[rng.integers(len(last))]}"


def ascii_fold(text: str) -> str:
    """'Jürgen Groß' -> 'Jurgen Gross': for e-mail addresses."""
    text = text.replace("ß", "ss").replace("ø", "o").replace("æ", "ae")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def email_address(name: str, domain: str, taken: set[str]) -> str:
    """first.last@domain, made unique with a number when the address is taken."""
    local = re.sub(r"[^a-z.]", "", ascii_fold(name).lower().replace(" ", "."))
    address, n = f"{local}@{domain}", 2
    while address in taken:
        address, n = f"{local}{n}@{domain}", n + 1
    taken.add(address)
    return address


def company_name(rng: np.random.Generator, culture: str, country: str, taken: set[str]) -> str:
    """A unique company name in the culture's style with the country's legal suffix."""
    stems, trades = _COMPANY_STEMS[culture], _COMPANY_TRADES[culture]
    suffixes = _LEGAL_SUFFIXES[country]
    for attempt in range(40):
        stem = stems[rng.integers(len(stems))]
        trade = trades[rng.integers(len(trades))]
        suffix = suffixes[rng.integers(len(suffixes))]
        if attempt >= 8:
            stem = f"{_QUALIFIERS[rng.integers(len(_QUALIFIERS))]} {stem}"
        name = f"{stem} {trade} {suffix}"
        if name not in taken:
            taken.add(name)
            return name
    n = 2
    while f"{stem} {trade} {n} {suffix}" in taken:
        n += 1
    name = f"{stem} {trade} {n} {suffix}"
    taken.add(name)
    return name


_SUFFIX_RESPELLINGS = (
    ("GmbH & Co. KG", "GmbH & Co KG"),
    ("GmbH", "Gmbh."),
    ("Inc.", "Inc"),
    ("Inc.", "Incorporated"),
    ("Ltd", "Limited"),
    ("Limited", "Ltd."),
    ("Ltd.", "Ltd"),
    ("S.A. de C.V.", "SA de CV"),
    ("S.A.", "SA"),
    ("S.p.A.", "SpA"),
    ("S.r.l.", "Srl"),
    ("Co., Ltd.", "Co Ltd"),
    ("K.K.", "KK"),
    ("Pty Ltd", "Pty. Ltd."),
    ("Corp.", "Corporation"),
    ("LLC", "L.L.C."),
    ("Ltda.", "Ltda"),
    ("S.L.", "SL"),
    ("AG", "A.G."),
)
_TRANSLITERATION = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}


def erp_spelling(name: str, rng: np.random.Generator) -> str:
    """How an ERP clerk might have typed ``name``: one or two of case, suffix, umlaut,
    ampersand and whitespace changes. Always returns a different string."""
    variants = []
    for old, new in _SUFFIX_RESPELLINGS:
        if name.endswith(" " + old):
            variants.append(lambda s, o=old, n=new: s[: -len(o)] + n)
            break
    if any(ch in name for ch in _TRANSLITERATION):
        variants.append(lambda s: "".join(_TRANSLITERATION.get(ch, ch) for ch in s))
    if "&" in name:
        variants.append(lambda s: s.replace("&", "and"))
    variants.append(lambda s: s.upper())
    variants.append(lambda s: s.replace(" ", "  ", 1))
    variants.append(lambda s: s.rsplit(" ", 1)[0] if " " in s else s + ".")
    variants.append(lambda s: s + " ")
    n_changes = 1 + int(rng.random() < 0.35)
    picks = rng.choice(len(variants), size=min(n_changes, len(variants)), replace=False)
    spelled = name
    for pick in sorted(picks):
        spelled = variants[pick](spelled)
    if spelled == name:
        spelled = name.upper() if name.upper() != name else name + "."
    return spelled
