"""The OCR string classifier is a pure function: cover each class, OCR noise and near misses."""

from __future__ import annotations

import pytest

from detectors import textclass as tc


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("POLICE", tc.POLICE),
        ("Police", tc.POLICE),
        ("P0LICE", tc.POLICE),  # zero for O
        ("POLlCE", tc.POLICE),  # lower-case l for I
        ("POLIGE", tc.POLICE),  # one wrong letter
        ("POLIZEI", tc.POLICE),
        ("GARDA", tc.POLICE),
        ("SHERIFF", tc.POLICE),
        ("County Sheriff's Office", tc.POLICE),
        ("CONSTABULARY", tc.POLICE),
        ("Kent Constabulary", tc.POLICE),
        ("STATE POLICE", tc.POLICE),
        ("POLICE STATION", tc.POLICE),
        ("SADAR THANA", tc.POLICE),
        ("POLICE LINE DO NOT CROSS", tc.POLICE),
        ("POLICELINE DONOT CROSS", tc.POLICE),  # spaces dropped
        ("CRIME SCENE", tc.POLICE),
        ("CRIME SCENE DO NOT CROSS", tc.POLICE),
        ("POLICEMAN", tc.POLICE),
        ("OFFICIAL-SENSITIVE", tc.PROTECTIVE),
        ("OFFICIAL SENSITIVE", tc.PROTECTIVE),
        ("OFFICIAL-SENSITlVE", tc.PROTECTIVE),
        ("SECRET", tc.PROTECTIVE),
        ("TOP SECRET", tc.PROTECTIVE),
        ("T0P SECRET", tc.PROTECTIVE),
        ("RESTRICTED", tc.PROTECTIVE),
        ("CONFIDENTIAL", tc.PROTECTIVE),
        ("C0NFIDENTIAL", tc.PROTECTIVE),
        ("LAW ENFORCEMENT SENSITIVE", tc.PROTECTIVE),
        ("PC 1234", tc.IDENTITY),
        ("PC1234", tc.IDENTITY),
        ("PS 567", tc.IDENTITY),
        ("PC 1234 J. SMITH", tc.IDENTITY),
        ("J. SMITH", tc.IDENTITY),
        ("J.Smith", tc.IDENTITY),
        ("SGT 42", tc.IDENTITY),
        ("Officer Jones", tc.IDENTITY),
        ("Badge #4521", tc.IDENTITY),
        ("AB12 CDE", tc.PLATE),
        ("AB12CDE", tc.PLATE),
        ("A8I2 CDE", tc.PLATE),  # 8 for B... reads as letters where letters belong
        ("AB12 CD3", tc.PLATE),  # 3 is not a look-alike: still a registration-like string
        ("ML 05 A 1234", tc.PLATE),
        ("MH12DE1433", tc.PLATE),
        ("B MW 1234", tc.PLATE),
        ("AB-123-CD", tc.PLATE),
        ("1234 BCD", tc.PLATE),
        ("7ABC123", tc.PLATE),
        ("KC4Z3X", tc.PLATE),
        ("ABC 1234", tc.PLATE),
        ("463 9520", tc.PLATE),  # all-digit US registration
        ("UH1-FOF", tc.PLATE),
        ("NEILDMND", tc.OTHER),  # a vanity plate cannot be told from a word by its text
        ("221B Baker Street", tc.ADDRESS),
        ("10 Downing St", tc.ADDRESS),
        ("Cumberland Ave", tc.ADDRESS),
        ("Hauptstrasse 5", tc.ADDRESS),
        ("SW1A 2AA", tc.ADDRESS),
        ("42", tc.ADDRESS),
        ("12A", tc.ADDRESS),
        ("EXIT", tc.OTHER),
        ("NORTH", tc.OTHER),
        ("Coffee shop", tc.OTHER),
        ("SECRETARY", tc.OTHER),  # not a protective marking
        ("OFFICE", tc.OTHER),
        ("GARDEN", tc.OTHER),
        ("", tc.OTHER),
        ("   ", tc.OTHER),
    ],
)
def test_classify(text: str, kind: str) -> None:
    assert tc.classify(text).kind == kind, tc.classify(text)


def test_classes_have_labels_and_matches() -> None:
    result = tc.classify("POLICE LINE DO NOT CROSS")
    assert result.label == "police marking"
    assert result.matched == "POLICE LINE DO NOT CROSS"
    assert tc.classify("OFFICIAL-SENSITIVE").matched.startswith("OFFICIAL")
    assert tc.classify("AB12 CDE").matched == "uk"
    assert tc.classify("ML 05 A 1234").matched == "india"


@pytest.mark.parametrize(
    "text", ["EXIT", "2011", "1/4 MILE", "HELLO WORLD", "www.example.com", "ABCDEFGHIJKL"]
)
def test_not_a_plate(text: str) -> None:
    assert tc.plate_pattern(text) is None


def test_edit_distance() -> None:
    assert tc.edit_distance("POLICE", "POLICE") == 0
    assert tc.edit_distance("POLICE", "POLIGE") == 1
    assert tc.edit_distance("POLICE", "PLICE") == 1
    assert tc.edit_distance("KITTEN", "SITTING") == 3


def test_find_term_needs_whole_tokens() -> None:
    assert tc.find_term("TOP SECRET FILE", tc.PROTECTIVE_TERMS) == "TOP SECRET"
    assert tc.find_term("SECRETARY", tc.PROTECTIVE_TERMS) is None


def test_every_text_class_is_one_the_policy_profiles_know() -> None:
    """The text detector and the policy profiles share one vocabulary of text classes."""
    from detectors import textclass
    from sharesafe.types import TextClass

    assert set(textclass.CLASSES) == set(TextClass)
