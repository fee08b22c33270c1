"""The shape of a policy profile once loaded: documents, cited reasons, rules and combinations.

Profiles are TOML data files (see `sharesafe/policies/`); `sharesafe.policy_load` parses and
validates them into these frozen types, and `sharesafe.policy.evaluate` applies them to a scan.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from sharesafe.types import Category, MetadataKind, TextClass


class Severity(enum.StrEnum):
    """How strongly a profile objects to something in a photo."""

    NOTE = "note"  # worth knowing; does not stop sharing
    WARN = "warn"  # the policy advises against it; fix before sharing
    BLOCK = "block"  # the policy forbids it; must be fixed (or the photo not shared)

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.NOTE: 0, Severity.WARN: 1, Severity.BLOCK: 2}


class Action(enum.StrEnum):
    """What ShareSafe does about it by default."""

    NONE = "none"  # leave it
    ASK = "ask"  # show it to the user, unticked
    COVER = "cover"  # cover the region (findings)
    STRIP = "strip"  # remove the item (metadata)

    @property
    def rank(self) -> int:
        return _ACTION_RANK[self]


_ACTION_RANK = {Action.NONE: 0, Action.ASK: 1, Action.COVER: 2, Action.STRIP: 2}

#: Actions a rule may give a visible finding and a metadata item respectively.
FINDING_ACTIONS: frozenset[Action] = frozenset({Action.NONE, Action.ASK, Action.COVER})
METADATA_ACTIONS: frozenset[Action] = frozenset({Action.NONE, Action.ASK, Action.STRIP})


@dataclass(frozen=True, slots=True)
class Document:
    """A policy document a profile cites."""

    key: str  # short id used in citations inside the profile file, e.g. "meghalaya"
    title: str  # full title
    short: str  # how a citation names it, e.g. "Meghalaya Police guidelines"
    issuer: str = ""
    date: str = ""


@dataclass(frozen=True, slots=True)
class Citation:
    document: Document
    section: str  # section, paragraph or bullet, e.g. "3.4" or "'Refrain from', bullet 2"

    def __str__(self) -> str:
        return f"{self.document.short}, {self.section}"


@dataclass(frozen=True, slots=True)
class Reason:
    """A rule of a policy in ShareSafe's own words, with where it comes from."""

    key: str
    text: str
    citation: Citation

    def to_json(self) -> dict[str, str]:
        return {"text": self.text, "citation": str(self.citation), "document": self.citation.document.short}


@dataclass(frozen=True, slots=True)
class Rule:
    """Maps a finding category (optionally narrowed by text class / label) or a metadata kind."""

    id: str
    source: str  # the profile that defined it (a union keeps each member's rules apart)
    severity: Severity
    action: Action
    reasons: tuple[Reason, ...]
    category: Category | None = None
    metadata: MetadataKind | None = None
    text_classes: frozenset[TextClass] = frozenset()
    #: Lower-case words; the rule applies when the finding's label contains any of them.
    labels: frozenset[str] = frozenset()
    #: A finding covering at least this share of the image cannot be fixed by covering it.
    do_not_share_above: float | None = None

    @property
    def specificity(self) -> int:
        return 1 + (1 if self.text_classes else 0) + (1 if self.labels else 0)

    @property
    def is_base(self) -> bool:
        return not self.text_classes and not self.labels


@dataclass(frozen=True, slots=True)
class Condition:
    """One part of a combination: some finding of these categories (text classes / labels)."""

    categories: frozenset[Category]
    text_classes: frozenset[TextClass] = frozenset()
    labels: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Combination:
    """A rule that applies only when all its conditions are met in one photo."""

    id: str
    source: str
    when: tuple[Condition, ...]
    severity: Severity
    action: Action
    reasons: tuple[Reason, ...]
    fixable: bool = True  # False: covering the parts does not make the photo shareable
    description: str = ""


@dataclass(frozen=True, slots=True)
class SetAside:
    """A rule of a policy that ShareSafe does not map to a finding, and why."""

    source: str
    section: str
    document: Document
    rule: str  # paraphrase
    why: str


@dataclass(frozen=True, slots=True)
class Profile:
    """A validated policy profile (a union profile holds all its members' rules)."""

    name: str
    title: str
    summary: str
    origin: str  # "package" or the file it was read from
    documents: tuple[Document, ...]
    rules: tuple[Rule, ...]
    combinations: tuple[Combination, ...] = ()
    #: Rules no photo or its metadata can break (joining groups, comments ...).
    not_applicable: tuple[SetAside, ...] = ()
    #: Rules a photo can break but no ShareSafe detector looks for: the officer checks these.
    check_yourself: tuple[SetAside, ...] = ()
    members: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = field(default=(), repr=False)
