"""Read policy profiles from TOML, check them against the schema, and resolve unions.

Built-in profiles ship in `sharesafe/policies/`; users add their own as
`$SHARESAFE_CONFIG_DIR/policies/NAME.toml` (default `~/.config/sharesafe/policies/`).
Every problem in a file is collected and reported together, each naming where it is.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sharesafe.errors import ShareSafeError
from sharesafe.policy_model import (
    FINDING_ACTIONS,
    METADATA_ACTIONS,
    Action,
    Citation,
    Combination,
    Condition,
    Document,
    Profile,
    Reason,
    Rule,
    SetAside,
    Severity,
)
from sharesafe.types import Category, MetadataKind, TextClass

SCHEMA_VERSION = 1
DEFAULT_PROFILE = "strict"

_TOP_KEYS = {
    "schema",
    "profile",
    "documents",
    "reasons",
    "rules",
    "combinations",
    "considered_not_applicable",
    "check_yourself",
}
_PROFILE_KEYS = {"name", "title", "summary", "unites"}
_DOCUMENT_KEYS = {"title", "short", "issuer", "date"}
_REASON_KEYS = {"text", "document", "section"}
_RULE_KEYS = {
    "id",
    "category",
    "metadata",
    "text_class",
    "label",
    "severity",
    "action",
    "reasons",
    "do_not_share_above",
}
_COMBINATION_KEYS = {"id", "when", "severity", "action", "reasons", "fixable", "description"}
_CONDITION_KEYS = {"category", "text_class", "label"}
_SET_ASIDE_KEYS = {"document", "section", "rule", "why"}


class PolicyError(ShareSafeError):
    """A profile could not be found, read or validated. The message lists every problem."""


def config_dir() -> Path:
    """Where users keep their own profiles (`policies/*.toml` inside it)."""
    env = os.environ.get("SHARESAFE_CONFIG_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg) if xdg else Path.home() / ".config"
    return base / "sharesafe"


def user_policy_dir() -> Path:
    return config_dir() / "policies"


def builtin_names() -> list[str]:
    folder = resources.files("sharesafe") / "policies"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def user_names() -> list[str]:
    folder = user_policy_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.toml"))


def profile_sources() -> list[tuple[str, str]]:
    """(name, origin) of every profile available: "built-in", or the user's file path."""
    out = [(n, "built-in") for n in builtin_names()]
    builtin = set(builtin_names())
    out += [(n, str(user_policy_dir() / f"{n}.toml")) for n in user_names() if n not in builtin]
    return out


def list_profiles() -> list[tuple[str, str]]:
    """(name, title) of every profile available, for pickers. Reads only the title; a file that
    cannot be read says so in its title (loading it gives the full error)."""
    out: list[tuple[str, str]] = []
    for name, _origin in profile_sources():
        try:
            title = tomllib.loads(_find(name).text).get("profile", {}).get("title")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError, PolicyError):
            title = None
        out.append((name, title if isinstance(title, str) and title else f"{name} (cannot be read)"))
    return out


def shadowed_user_files() -> list[Path]:
    """User files ignored because a built-in profile has the same name."""
    builtin = set(builtin_names())
    return [user_policy_dir() / f"{n}.toml" for n in user_names() if n in builtin]


@dataclass(slots=True)
class _Source:
    name: str
    origin: str
    text: str


def _find(name: str) -> _Source:
    if name in builtin_names():
        text = (resources.files("sharesafe") / "policies" / f"{name}.toml").read_text(encoding="utf-8")
        return _Source(name, "built-in", text)
    path = user_policy_dir() / f"{name}.toml"
    if path.is_file():
        return _Source(name, str(path), path.read_text(encoding="utf-8"))
    known = ", ".join(n for n, _ in profile_sources())
    raise PolicyError(f"no policy profile named {name!r}; available: {known}")


def load_profile(name_or_path: str | os.PathLike[str] = DEFAULT_PROFILE) -> Profile:
    """Load a profile by name (built-in or user folder) or from a `.toml` file path."""
    text_name = os.fspath(name_or_path)
    if text_name.endswith(".toml") or os.sep in text_name:
        path = Path(text_name)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(f"cannot read policy file {path}: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise PolicyError(f"policy file {path} is not UTF-8 text") from exc
        return _load(_Source(path.stem, str(path), text), ())
    return _load(_find(text_name), ())


def load_all() -> list[Profile]:
    return [load_profile(name) for name, _ in profile_sources()]


def _load(src: _Source, stack: tuple[str, ...]) -> Profile:
    if src.name in stack:
        loop = " -> ".join((*stack, src.name))
        raise PolicyError(f"{src.origin}: profiles unite each other in a loop: {loop}")
    try:
        data = tomllib.loads(src.text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{src.origin}: not valid TOML: {exc}") from exc
    checker = _Checker(src, data)
    members: list[Profile] = []
    for member in checker.unites:
        if member == src.name:
            checker.error(f"profile.unites: a profile cannot unite itself ({member!r})")
            continue
        try:
            members.append(_load(_find(member), (*stack, src.name)))
        except PolicyError as exc:
            checker.error(f"profile.unites: member {member!r}: {exc}")
    return checker.build(members)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


class _Checker:
    """Validates one parsed TOML document, collecting every problem before raising."""

    def __init__(self, src: _Source, data: Mapping[str, Any]) -> None:
        self.src = src
        self.data = data
        self.errors: list[str] = []
        self.unites: list[str] = []
        self._header()

    def error(self, message: str) -> None:
        self.errors.append(message)

    # -- small typed getters -------------------------------------------------------------------

    def _table(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.error(f"{where}: expected a table, got {type(value).__name__}")
            return {}
        return value

    def _str(self, table: Mapping[str, Any], key: str, where: str, required: bool = True) -> str:
        value = table.get(key)
        if value is None:
            if required:
                self.error(f"{where}: missing {key!r}")
            return ""
        if not isinstance(value, str) or not value.strip():
            self.error(f"{where}: {key!r} must be a non-empty string")
            return ""
        return value.strip()

    def _unknown_keys(self, table: Mapping[str, Any], allowed: set[str], where: str) -> None:
        for key in table:
            if key not in allowed:
                self.error(f"{where}: unknown key {key!r}; allowed: {', '.join(sorted(allowed))}")

    def _enum_value(self, enum_type: Any, value: Any, what: str, where: str) -> Any:
        known = [m.value for m in enum_type]
        if not isinstance(value, str) or value not in known:
            self.error(f"{where}: unknown {what} {value!r}; known: {', '.join(known)}")
            return None
        return enum_type(value)

    # -- sections ------------------------------------------------------------------------------

    def _header(self) -> None:
        self._unknown_keys(self.data, _TOP_KEYS, "top level")
        schema = self.data.get("schema")
        if schema != SCHEMA_VERSION:
            self.error(f"schema: expected schema = {SCHEMA_VERSION}, got {schema!r}")
        profile = self._table(self.data.get("profile", None) or {}, "[profile]")
        if "profile" not in self.data:
            self.error("[profile]: missing table")
        self._unknown_keys(profile, _PROFILE_KEYS, "[profile]")
        self.name = self._str(profile, "name", "[profile]")
        if self.name and self.name != self.src.name:
            self.error(f"[profile]: name {self.name!r} must match the file name {self.src.name + '.toml'!r}")
        self.title = self._str(profile, "title", "[profile]")
        self.summary = self._str(profile, "summary", "[profile]", required=False)
        unites = profile.get("unites", [])
        if not isinstance(unites, list) or not all(isinstance(u, str) and u for u in unites):
            self.error("[profile]: 'unites' must be a list of profile names")
            unites = []
        self.unites = list(unites)

    def _documents(self) -> dict[str, Document]:
        docs: dict[str, Document] = {}
        raw = self._table(self.data.get("documents", {}), "[documents]")
        for key, value in raw.items():
            where = f"[documents.{key}]"
            table = self._table(value, where)
            self._unknown_keys(table, _DOCUMENT_KEYS, where)
            docs[key] = Document(
                key=key,
                title=self._str(table, "title", where),
                short=self._str(table, "short", where),
                issuer=self._str(table, "issuer", where, required=False),
                date=self._str(table, "date", where, required=False),
            )
        return docs

    def _document_ref(self, value: Any, docs: Mapping[str, Document], where: str) -> Document | None:
        if not isinstance(value, str) or not value:
            self.error(f"{where}: missing citation document ('document' naming a [documents] entry)")
            return None
        if value not in docs:
            known = ", ".join(sorted(docs)) or "none defined"
            self.error(f"{where}: citation names unknown document {value!r}; [documents] has: {known}")
            return None
        return docs[value]

    def _reasons(self, docs: Mapping[str, Document]) -> dict[str, Reason]:
        out: dict[str, Reason] = {}
        raw = self._table(self.data.get("reasons", {}), "[reasons]")
        for key, value in raw.items():
            where = f"[reasons.{key}]"
            table = self._table(value, where)
            self._unknown_keys(table, _REASON_KEYS, where)
            text = self._str(table, "text", where)
            section = table.get("section")
            if not isinstance(section, str) or not section.strip():
                self.error(f"{where}: missing citation: 'section' (section, paragraph or bullet) is required")
                section = ""
            doc = self._document_ref(table.get("document"), docs, where)
            if doc is not None and text and section:
                out[key] = Reason(key, text, Citation(doc, section.strip()))
        return out

    def _reason_refs(self, value: Any, reasons: Mapping[str, Reason], where: str) -> tuple[Reason, ...]:
        if value is None or value == []:
            self.error(f"{where}: needs at least one reason (a key of [reasons])")
            return ()
        found: list[Reason] = []
        for key in _as_list(value):
            if not isinstance(key, str):
                self.error(f"{where}: reasons must be keys of [reasons], got {key!r}")
            elif key not in reasons:
                self.error(f"{where}: unknown reason {key!r}; define it under [reasons.{key}]")
            else:
                found.append(reasons[key])
        return tuple(found)

    def _filters(self, table: Mapping[str, Any], where: str) -> tuple[frozenset[TextClass], frozenset[str]]:
        text_classes: set[TextClass] = set()
        known = {c.value: c for c in TextClass}
        for value in _as_list(table.get("text_class", [])):
            if not isinstance(value, str) or value not in known:
                self.error(f"{where}: unknown text_class {value!r}; known: {', '.join(sorted(known))}")
            else:
                text_classes.add(known[value])
        labels: set[str] = set()
        for value in _as_list(table.get("label", [])):
            if not isinstance(value, str) or not value.strip():
                self.error(f"{where}: label must be a non-empty string, got {value!r}")
            else:
                labels.add(value.strip().lower())
        return frozenset(text_classes), frozenset(labels)

    def _severity_action(
        self, table: Mapping[str, Any], where: str, allowed: frozenset[Action], what: str
    ) -> tuple[Severity | None, Action | None]:
        severity = self._enum_value(Severity, table.get("severity"), "severity", where)
        action = self._enum_value(Action, table.get("action"), "action", where)
        if action is not None and action not in allowed:
            names = ", ".join(sorted(a.value for a in allowed))
            self.error(f"{where}: action {action.value!r} does not apply to {what}; use one of: {names}")
            action = None
        if severity is Severity.BLOCK and action is Action.NONE:
            self.error(
                f"{where}: a 'block' rule needs an action that fixes it (cover/strip/ask); "
                "to say a photo cannot be fixed use do_not_share_above or fixable = false"
            )
        return severity, action

    def _rules(self, reasons: Mapping[str, Reason]) -> list[Rule]:
        raw = self.data.get("rules", [])
        if not isinstance(raw, list):
            self.error("rules: expected an array of tables ([[rules]])")
            return []
        rules: list[Rule] = []
        seen: set[str] = set()
        for i, value in enumerate(raw):
            table = self._table(value, f"rules[{i}]")
            rid = table.get("id")
            where = f"rules[{i}]" + (f" (id {rid!r})" if isinstance(rid, str) else "")
            self._unknown_keys(table, _RULE_KEYS, where)
            if not isinstance(rid, str) or not rid:
                self.error(f"{where}: missing 'id'")
                rid = f"#{i}"
            elif rid in seen:
                self.error(f"{where}: duplicate rule id")
            seen.add(rid)
            has_cat, has_meta = "category" in table, "metadata" in table
            if has_cat == has_meta:
                self.error(f"{where}: give exactly one of 'category' (a finding) or 'metadata' (a kind)")
                continue
            text_classes, labels = self._filters(table, where)
            category = metadata = None
            if has_cat:
                category = self._enum_value(Category, table["category"], "category", where)
                severity, action = self._severity_action(table, where, FINDING_ACTIONS, "a finding")
            else:
                metadata = self._enum_value(MetadataKind, table["metadata"], "metadata kind", where)
                severity, action = self._severity_action(table, where, METADATA_ACTIONS, "metadata")
                if text_classes or labels:
                    self.error(f"{where}: text_class / label filters apply to findings, not metadata")
            limit = table.get("do_not_share_above")
            if limit is not None:
                if has_meta:
                    self.error(f"{where}: do_not_share_above applies to findings, not metadata")
                    limit = None
                elif (
                    isinstance(limit, bool)
                    or not isinstance(limit, int | float)
                    or not math.isfinite(limit)
                    or not 0 < limit <= 1
                ):
                    self.error(f"{where}: do_not_share_above must be a share of the image in (0, 1]")
                    limit = None
            rule_reasons = self._reason_refs(table.get("reasons"), reasons, where)
            if (category is None and metadata is None) or severity is None or action is None:
                continue
            rules.append(
                Rule(
                    id=f"{self.src.name}.{rid}",
                    source=self.src.name,
                    severity=severity,
                    action=action,
                    reasons=rule_reasons,
                    category=category,
                    metadata=metadata,
                    text_classes=text_classes,
                    labels=labels,
                    do_not_share_above=float(limit) if limit is not None else None,
                )
            )
        return rules

    def _combinations(self, reasons: Mapping[str, Reason]) -> list[Combination]:
        raw = self.data.get("combinations", [])
        if not isinstance(raw, list):
            self.error("combinations: expected an array of tables ([[combinations]])")
            return []
        out: list[Combination] = []
        for i, value in enumerate(raw):
            table = self._table(value, f"combinations[{i}]")
            cid = table.get("id")
            where = f"combinations[{i}]" + (f" (id {cid!r})" if isinstance(cid, str) else "")
            self._unknown_keys(table, _COMBINATION_KEYS, where)
            if not isinstance(cid, str) or not cid:
                self.error(f"{where}: missing 'id'")
                cid = f"#{i}"
            when = table.get("when")
            conditions: list[Condition] = []
            if not isinstance(when, list) or len(when) < 2:
                self.error(f"{where}: 'when' must list at least two conditions")
                when = []
            for j, cond in enumerate(when):
                cwhere = f"{where}.when[{j}]"
                ctable = self._table(cond, cwhere)
                self._unknown_keys(ctable, _CONDITION_KEYS, cwhere)
                cats = [
                    self._enum_value(Category, c, "category", cwhere)
                    for c in _as_list(ctable.get("category", []))
                ]
                if not cats:
                    self.error(f"{cwhere}: missing 'category'")
                text_classes, labels = self._filters(ctable, cwhere)
                conditions.append(Condition(frozenset(c for c in cats if c), text_classes, labels))
            severity, action = self._severity_action(table, where, FINDING_ACTIONS, "a finding")
            fixable = table.get("fixable", True)
            if not isinstance(fixable, bool):
                self.error(f"{where}: 'fixable' must be true or false")
                fixable = True
            description = table.get("description", "")
            if not isinstance(description, str):
                self.error(f"{where}: 'description' must be a string")
                description = ""
            combo_reasons = self._reason_refs(table.get("reasons"), reasons, where)
            if severity is None or action is None:
                continue
            out.append(
                Combination(
                    id=f"{self.src.name}.{cid}",
                    source=self.src.name,
                    when=tuple(conditions),
                    severity=severity,
                    action=action,
                    reasons=combo_reasons,
                    fixable=fixable,
                    description=description,
                )
            )
        return out

    def _set_aside(self, key: str, docs: Mapping[str, Document]) -> list[SetAside]:
        raw = self.data.get(key, [])
        if not isinstance(raw, list):
            self.error(f"{key}: expected an array of tables ([[{key}]])")
            return []
        out: list[SetAside] = []
        for i, value in enumerate(raw):
            where = f"{key}[{i}]"
            table = self._table(value, where)
            self._unknown_keys(table, _SET_ASIDE_KEYS, where)
            doc = self._document_ref(table.get("document"), docs, where)
            section = self._str(table, "section", where)
            rule = self._str(table, "rule", where)
            why = self._str(table, "why", where)
            if doc is not None:
                out.append(SetAside(self.src.name, section, doc, rule, why))
        return out

    def _coverage(self, rules: Iterable[Rule], complete: bool) -> None:
        rules = list(rules)
        base = [r for r in rules if r.is_base]
        cats = {r.category for r in base if r.category is not None}
        kinds = {r.metadata for r in base if r.metadata is not None}
        missing = [c.value for c in Category if c not in cats]
        if complete and missing:
            self.error(
                "rules: every finding category needs a rule without text_class/label filters; "
                f"unmapped: {', '.join(missing)}"
            )
        missing_kinds = [k.value for k in MetadataKind if k not in kinds]
        if complete and missing_kinds:
            self.error(f"rules: every metadata kind needs a rule; unmapped: {', '.join(missing_kinds)}")
        seen: dict[tuple[Any, ...], str] = {}
        for r in rules:
            key = (r.category, r.metadata, r.text_classes, r.labels)
            if key in seen:
                self.error(f"rules: {r.id!r} matches exactly what {seen[key]!r} matches; merge them")
            seen[key] = r.id

    def build(self, members: list[Profile]) -> Profile:
        docs = self._documents()
        reasons = self._reasons(docs)
        rules = self._rules(reasons)
        combos = self._combinations(reasons)
        not_applicable = self._set_aside("considered_not_applicable", docs)
        check_yourself = self._set_aside("check_yourself", docs)
        # A union takes its coverage from its members; its own rules (if any) only add to them.
        self._coverage(rules, complete=not self.unites)
        used = {r.key for r in reasons.values()}
        referenced = {x.key for r in rules for x in r.reasons} | {x.key for c in combos for x in c.reasons}
        for key in sorted(used - referenced):
            self.error(f"[reasons.{key}]: defined but no rule or combination uses it")
        if self.errors:
            lines = "\n  - ".join(self.errors)
            where = f"{self.src.origin} ({self.src.name})"
            raise PolicyError(f"policy profile {where} is not valid:\n  - {lines}")
        all_docs = dict.fromkeys(d for m in members for d in m.documents)
        all_docs.update(dict.fromkeys(docs.values()))
        return Profile(
            name=self.name,
            title=self.title,
            summary=self.summary,
            origin=self.src.origin,
            documents=tuple(all_docs),
            rules=tuple(r for m in members for r in m.rules) + tuple(rules),
            combinations=tuple(c for m in members for c in m.combinations) + tuple(combos),
            not_applicable=tuple(s for m in members for s in m.not_applicable) + tuple(not_applicable),
            check_yourself=tuple(s for m in members for s in m.check_yourself) + tuple(check_yourself),
            members=tuple(m.name for m in members),
            reasons=tuple(r for m in members for r in m.reasons) + tuple(reasons.values()),
        )
