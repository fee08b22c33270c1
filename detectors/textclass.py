"""Classify a string read by OCR: police marking, protective marking, identity, plate, address or other.

A pure function (no model, no I/O) so it is cheap to test thoroughly. OCR output is noisy: letters
are read as look-alike digits ("P0LICE"), spaces are dropped or added ("POLICELINE", "OFFI CIAL") and
single letters go wrong ("POLIGE"). Keywords are therefore matched on whole tokens after mapping
look-alike digits to letters, with an edit-distance allowance that grows with the keyword's length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from sharesafe.types import TextClass as Kind

#: Text classes (the core's `TextClass`), strongest first (a string gets the first class that matches).
PROTECTIVE = Kind.PROTECTIVE_MARKING
POLICE = Kind.POLICE_MARKING
IDENTITY = Kind.NAME_OR_NUMBER
PLATE = Kind.PLATE
ADDRESS = Kind.ADDRESS
OTHER = Kind.OTHER

CLASSES = (PROTECTIVE, POLICE, IDENTITY, PLATE, ADDRESS, OTHER)

PROTECTIVE_TERMS = (
    "OFFICIAL SENSITIVE",
    "OFFICIAL-SENSITIVE",
    "TOP SECRET",
    "SECRET",
    "RESTRICTED",
    "CONFIDENTIAL",
    "LAW ENFORCEMENT SENSITIVE",
    "FOR OFFICIAL USE ONLY",
    "OFFICIAL",
    "CLASSIFIED",
    "PROTECTIVELY MARKED",
)

POLICE_TERMS = (
    "POLICE LINE DO NOT CROSS",
    "CRIME SCENE DO NOT CROSS",
    "CRIME SCENE",
    "SCENE OF CRIME",
    "DO NOT CROSS",
    "POLICE STATION",
    "STATE POLICE",
    "POLICE",
    "POLIZEI",
    "POLITIE",
    "POLICIA",
    "POLIZIA",
    "POLITI",
    "POLISI",
    "GARDA",
    "GARDAI",
    "GARDA SIOCHANA",
    "SHERIFF",
    "CONSTABULARY",
    "THANA",
    "TROOPER",
    "HIGHWAY PATROL",
    "GENDARMERIE",
    "CARABINIERI",
    "GUARDIA CIVIL",
    "MILITARY POLICE",
    "FIREARMS",
    "CUSTODY",
)

#: Ranks and role abbreviations that precede a collar / shoulder / badge number or a surname.
RANKS = (
    "PC",
    "PS",
    "DC",
    "DS",
    "DI",
    "DCI",
    "SGT",
    "INSP",
    "CST",
    "CSO",
    "PCSO",
    "SPC",
    "OFFICER",
    "SERGEANT",
    "CONSTABLE",
    "INSPECTOR",
    "DETECTIVE",
    "DEPUTY",
    "TPR",
    "CPL",
    "LT",
    "CAPT",
    "BADGE",
)

STREET_WORDS = (
    "STREET|ST|ROAD|RD|AVENUE|AVE|LANE|LN|DRIVE|DR|CLOSE|CRESCENT|CRES|WAY|PLACE|PL|COURT|CT|TERRACE|TCE|"
    "GARDENS|GDNS|GROVE|BOULEVARD|BLVD|HIGHWAY|HWY|PARADE|SQUARE|SQ|MEWS|HILL|PARK|WALK|ROW|"
    "STRASSE|STRAẞE|STR|WEG|GASSE|PLATZ|ALLEE|RING|RUE|BOULEVARD|VIA|VIALE|CALLE|CARRER|STRAAT|LAAN|"
    "MARG|NAGAR|CHOWK|GALI"
)

_DIGIT_TO_LETTER = str.maketrans(
    {"0": "O", "1": "I", "5": "S", "8": "B", "6": "G", "2": "Z", "|": "I", "$": "S"}
)
_LETTER_TO_DIGIT = str.maketrans(
    {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "B": "8"}
)

_STREET_RE = re.compile(rf"\b[A-Z][A-Z'.-]+\s+(?:{STREET_WORDS})\b\.?")
_HOUSE_AND_STREET_RE = re.compile(rf"\b\d{{1,5}}[A-Z]?\b.*\b(?:{STREET_WORDS})\b")
_COMPOUND_STREET_RE = re.compile(
    r"\b[A-Z]{3,}(?:STRASSE|STRAẞE|STR\.|WEG|GASSE|PLATZ|ALLEE|STRAAT|LAAN|VEJ|GATAN|VÄGEN)\b"
)
_UK_POSTCODE_RE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")
_HOUSE_NUMBER_RE = re.compile(r"^(?:NO\.?\s*)?\d{1,4}[A-Z]?$")
_RANK_NUMBER_RE = re.compile(rf"\b(?:{'|'.join(RANKS)})\s*[.:#-]?\s*\d{{1,6}}\b")
_RANK_NAME_RE = re.compile(
    r"\b(?:PC|PS|DC|DS|SGT|INSP|OFFICER|SERGEANT|CONSTABLE|INSPECTOR|DETECTIVE|DEPUTY)\.?\s+[A-Z]{2,}"
)
_INITIAL_NAME_RE = re.compile(r"(?:^|\s)[A-Z]\.\s?[A-Z][A-Za-z'-]{2,}\b", re.IGNORECASE)
_BADGE_NUMBER_RE = re.compile(r"#\s*\d{2,6}\b")

# Licence plates, matched on the string with spaces, dots and dashes removed ("squashed").
_PLATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("uk", re.compile(r"^[A-Z]{2}\d{2}[A-Z]{3}$")),  # AB12 CDE
    ("uk-prefix", re.compile(r"^[A-Z]\d{1,3}[A-Z]{3}$")),  # A123 BCD
    ("uk-suffix", re.compile(r"^[A-Z]{3}\d{1,3}[A-Z]$")),  # ABC 123D
    ("india", re.compile(r"^[A-Z]{2}\d{1,2}[A-Z]{0,3}\d{4}$")),  # ML 05 A 1234
    ("eu-fr-it", re.compile(r"^[A-Z]{2}\d{3}[A-Z]{2}$")),  # AB-123-CD, AB 123CD
    ("eu-de", re.compile(r"^[A-Z]{1,3}[A-Z]{1,2}\d{1,4}[EH]?$")),  # B MW 1234, M AB 123
    ("eu-es", re.compile(r"^\d{4}[A-Z]{3}$")),  # 1234 ABC
    ("eu-nl", re.compile(r"^(?:[A-Z]{2}\d{3}[A-Z]|\d{2}[A-Z]{3}\d|\d[A-Z]{3}\d{2}|[A-Z]{2}\d{2}[A-Z]{2})$")),
    ("eu-pl", re.compile(r"^[A-Z]{2,3}\d{4,5}$|^[A-Z]{2,3}\d{2,3}[A-Z]{1,2}$")),
    (
        "us",
        re.compile(r"^(?:\d[A-Z]{3}\d{3}|[A-Z]{3}\d{3,4}|\d{3}[A-Z]{3}|[A-Z]{2}\d{4,5}|\d[A-Z]{2}\d{4})$"),
    ),
)
_PLATE_CHARSET_RE = re.compile(r"^[A-Z0-9][A-Z0-9 .·\-]{2,11}$")


@dataclass(frozen=True, slots=True)
class TextClass:
    kind: Kind
    label: str  # short human label, e.g. "police marking"
    matched: str = ""  # the keyword or pattern that matched


_LABELS = {
    PROTECTIVE: "protective marking",
    POLICE: "police marking",
    IDENTITY: "name or number",
    PLATE: "licence plate",
    ADDRESS: "address",
    OTHER: "text",
}


def normalise(text: str) -> str:
    """Upper case, punctuation to spaces (keeping '#', '.' and '-'), single spaces."""
    text = text.upper().replace("_", " ")
    text = re.sub(r"[^\w#.\-/ ]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[^A-Z0-9|$]+", text.upper()) if t]


def _allowed(length: int) -> int:
    if length <= 4:
        return 0
    if length <= 8:
        return 1
    return 2


@lru_cache(maxsize=4096)
def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance."""
    if a == b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _letters(token: str) -> str:
    """Map look-alike digits to letters; OCR reads 'P0LICE' and 'SECRE7' on worn or small text."""
    return token.translate(_DIGIT_TO_LETTER).replace("7", "T").replace("4", "A")


def find_term(text: str, terms: tuple[str, ...], prefix_ok: bool = False) -> str | None:
    """The first of `terms` found in `text` on whole tokens, tolerant to OCR noise; None if absent."""
    tokens = [_letters(t) for t in _tokens(text)]
    if not tokens:
        return None
    for term in terms:
        want = re.sub(r"[^A-Z]", "", term)
        n_words = len(_tokens(term))
        budget = _allowed(len(want))
        for size in {max(1, n_words - 1), n_words, n_words + 1}:
            for start in range(0, len(tokens) - size + 1):
                got = "".join(tokens[start : start + size])
                if abs(len(got) - len(want)) <= budget and edit_distance(got, want) <= budget:
                    return term
                if prefix_ok and len(want) >= 5 and size == 1 and got.startswith(want):
                    return term
    return None


def squash(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def plate_pattern(text: str) -> str | None:
    """The name of the licence plate pattern `text` fits (tolerating O/0 and I/1 confusion), or None."""
    norm = normalise(text)
    if not _PLATE_CHARSET_RE.match(norm):
        return None
    flat = squash(norm)
    if not 4 <= len(flat) <= 10:
        return None
    letters = sum(c.isalpha() for c in flat)
    digits = sum(c.isdigit() for c in flat)
    if not digits:  # vanity plates with no digit cannot be told from words by their text
        return None
    if not letters:
        # All-digit registrations exist (US "463 9520"); years, prices and house numbers are shorter.
        return "digits" if 6 <= len(flat) <= 8 and norm.count(" ") + norm.count("-") <= 1 else None
    for name, pattern in _PLATE_PATTERNS:
        if pattern.match(flat):
            return name
    # OCR confusions: try every plausible letter/digit reading of ambiguous characters (bounded).
    for name, pattern in _PLATE_PATTERNS:
        if _fits_with_confusions(flat, pattern):
            return name
    # Anything short that mixes letters and digits and reads like a registration (US vanity plates,
    # formats not listed above): 5-8 characters, at least two digits and one letter.
    if 4 <= len(flat) <= 9 and norm.count(" ") + norm.count("-") + norm.count(".") <= 2:
        return "generic"
    return None


def _fits_with_confusions(flat: str, pattern: re.Pattern[str]) -> bool:
    to_digit = flat.translate(_LETTER_TO_DIGIT)
    to_letter = flat.translate(_DIGIT_TO_LETTER)
    # Per position choose letter or digit as the pattern wants: check with a simple search over
    # the pattern by building the two candidate readings and mixing them position by position.
    choices = [sorted({a, b, c}) for a, b, c in zip(flat, to_digit, to_letter, strict=True)]
    n_ambiguous = sum(len(c) > 1 for c in choices)
    if n_ambiguous > 8:
        return False
    candidates = [""]
    for options in choices:
        candidates = [prefix + o for prefix in candidates for o in options]
    # At most two characters re-read: more than that and almost any short word fits some format.
    return any(
        pattern.match(c) and sum(a != b for a, b in zip(c, flat, strict=True)) <= 2
        for c in candidates
        if c != flat
    )


def classify(text: str) -> TextClass:
    """Classify one OCR string. Order: protective > police > identity > plate > address > other."""
    norm = normalise(text)
    if not norm:
        return TextClass(OTHER, _LABELS[OTHER])
    term = find_term(norm, PROTECTIVE_TERMS)
    if term:
        return TextClass(PROTECTIVE, _LABELS[PROTECTIVE], term)
    term = find_term(norm, POLICE_TERMS, prefix_ok=True)
    if term:
        return TextClass(POLICE, _LABELS[POLICE], term)
    pattern = plate_pattern(norm)
    rank_number = _RANK_NUMBER_RE.fullmatch(norm)
    if pattern and pattern != "generic" and not rank_number:
        return TextClass(PLATE, _LABELS[PLATE], pattern)
    for regex, what in (
        (_RANK_NUMBER_RE, "collar number"),
        (_RANK_NAME_RE, "rank and name"),
        (_BADGE_NUMBER_RE, "badge number"),
    ):
        if regex.search(norm):
            return TextClass(IDENTITY, _LABELS[IDENTITY], what)
    if _INITIAL_NAME_RE.search(text.strip()) and not _STREET_RE.search(norm):
        return TextClass(IDENTITY, _LABELS[IDENTITY], "initial and surname")
    if _UK_POSTCODE_RE.fullmatch(norm):
        return TextClass(ADDRESS, _LABELS[ADDRESS], "postcode")
    if pattern:
        return TextClass(PLATE, _LABELS[PLATE], pattern)
    if _HOUSE_AND_STREET_RE.search(norm):
        return TextClass(ADDRESS, _LABELS[ADDRESS], "house number and street")
    if _STREET_RE.search(norm) or _COMPOUND_STREET_RE.search(norm):
        return TextClass(ADDRESS, _LABELS[ADDRESS], "street name")
    if _UK_POSTCODE_RE.search(norm):
        return TextClass(ADDRESS, _LABELS[ADDRESS], "postcode")
    if _HOUSE_NUMBER_RE.match(norm):
        return TextClass(ADDRESS, _LABELS[ADDRESS], "house number")
    return TextClass(OTHER, _LABELS[OTHER])
