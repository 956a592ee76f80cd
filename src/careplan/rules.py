"""The small rule language content modules use to say when they apply.

A rule is a YAML mapping whose keys must all hold (see docs/content-schema.md). Rules are
compiled once, checked against the vocabulary, and evaluated against a profile's ``Facts``;
evaluation also returns the profile facts that made the rule true, for ``careplan explain``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from careplan.model import Profile
from careplan.vocab import THERAPIES, Vocabulary

# Rule key -> (profile field whose vocabulary it uses, how a reason reads).
SCALAR_KEYS = {
    "site": "tumor_site",
    "extent": "extent",
    "grade": "grade",
    "diabetes": "diabetes",
    "pancreatic_surgery": "pancreatic_surgery",
    "pancreatic_surgery_type": "pancreatic_surgery_type",
}
RULE_KEYS = frozenset(
    {
        *SCALAR_KEYS,
        "always",
        "syndrome",
        "therapy",
        "therapy_group",
        "therapy_status",
        "all",
        "any",
        "not",
        "condition",
    }
)


@dataclass(frozen=True)
class Facts:
    """What rules can see of a profile."""

    values: dict[str, str | None]
    syndromes: frozenset[str]
    therapies: dict[str, str]  # therapy id -> status
    therapy_groups: dict[str, tuple[str, ...]]  # therapy id -> its groups

    @classmethod
    def of(cls, profile: Profile, vocab: Vocabulary) -> Facts:
        """Collect the facts of a validated profile."""
        return cls(
            values={field: getattr(profile, field) for field in SCALAR_KEYS.values()},
            syndromes=frozenset(profile.hormone_syndrome),
            therapies={t.id: t.status for t in profile.therapies},
            therapy_groups={t.id: vocab.therapy_groups(t.id) for t in profile.therapies},
        )


@dataclass(frozen=True)
class Reason:
    """A profile fact that made a rule true; ``therapy`` names the therapy when there is one."""

    text: str
    therapy: str | None = None


Result = tuple[bool, list[Reason]]


class Rule:
    """A compiled rule; ``evaluate`` returns (holds, reasons)."""

    def evaluate(self, facts: Facts) -> Result:
        raise NotImplementedError

    def holds(self, facts: Facts) -> bool:
        """Return whether the rule holds for these facts."""
        return self.evaluate(facts)[0]


@dataclass(frozen=True)
class Always(Rule):
    def evaluate(self, facts: Facts) -> Result:
        return True, []


@dataclass(frozen=True)
class FieldIn(Rule):
    field: str
    allowed: frozenset[str]

    def evaluate(self, facts: Facts) -> Result:
        value = facts.values[self.field]
        ok = value in self.allowed
        return ok, [Reason(f"{self.field} is {value}")] if ok else []


@dataclass(frozen=True)
class SyndromeIn(Rule):
    allowed: frozenset[str]

    def evaluate(self, facts: Facts) -> Result:
        hits = sorted(facts.syndromes & self.allowed)
        return bool(hits), [Reason(f"hormone_syndrome includes {h}") for h in hits]


@dataclass(frozen=True)
class TherapyMatch(Rule):
    ids: frozenset[str]
    groups: frozenset[str]
    statuses: frozenset[str] | None = None

    def evaluate(self, facts: Facts) -> Result:
        reasons = []
        for therapy, status in facts.therapies.items():
            in_group = set(facts.therapy_groups[therapy]) & self.groups
            if therapy not in self.ids and not in_group:
                continue
            if self.statuses is not None and status not in self.statuses:
                continue
            status_text = f" ({status})" if self.statuses is not None else ""
            reasons.append(Reason(f"therapies include {therapy}{status_text}", therapy))
        return bool(reasons), reasons


@dataclass(frozen=True)
class All(Rule):
    rules: tuple[Rule, ...]

    def evaluate(self, facts: Facts) -> Result:
        reasons: list[Reason] = []
        for rule in self.rules:
            ok, why = rule.evaluate(facts)
            if not ok:
                return False, []
            reasons.extend(why)
        return True, reasons


@dataclass(frozen=True)
class Any_(Rule):
    rules: tuple[Rule, ...]

    def evaluate(self, facts: Facts) -> Result:
        results = [rule.evaluate(facts) for rule in self.rules]
        reasons = [r for ok, why in results if ok for r in why]
        return any(ok for ok, _ in results), reasons


@dataclass(frozen=True)
class Not(Rule):
    rule: Rule
    text: str

    def evaluate(self, facts: Facts) -> Result:
        ok = not self.rule.holds(facts)
        return ok, [Reason(f"not ({self.text})")] if ok else []


@dataclass(frozen=True)
class Named(Rule):
    """A named condition from ``conditions.yaml``, written once and used by many rules."""

    name: str
    rule: Rule

    def evaluate(self, facts: Facts) -> Result:
        return self.rule.evaluate(facts)


class RuleSyntaxError(ValueError):
    """A rule that does not follow the documented grammar or names an unknown value."""


def _as_set(value: Any, key: str) -> frozenset[str]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(i, str) for i in items):
        raise RuleSyntaxError(f"{key!r} needs a value or a list of values, got {value!r}")
    return frozenset(items)


def _check(values: frozenset[str], allowed: list[str], key: str) -> frozenset[str]:
    unknown = sorted(values - set(allowed))
    if unknown:
        raise RuleSyntaxError(
            f"{key!r} names unknown value(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}"
        )
    return values


def _describe(spec: Any) -> str:
    if isinstance(spec, Mapping):
        return ", ".join(f"{k}: {_describe(v)}" for k, v in spec.items())
    if isinstance(spec, list):
        return "[" + ", ".join(_describe(v) for v in spec) + "]"
    return str(spec)


def compile_rule(
    spec: Any, vocab: Vocabulary, conditions: Mapping[str, Rule] | None = None
) -> Rule:
    """Compile a rule mapping; raise RuleSyntaxError naming what is wrong.

    ``conditions`` are the named rules a ``condition:`` key may refer to.
    """
    conditions = conditions or {}
    if not isinstance(spec, Mapping) or not spec:
        raise RuleSyntaxError(f"a rule must be a non-empty mapping, got {spec!r}")
    unknown = sorted(set(spec) - RULE_KEYS)
    if unknown:
        raise RuleSyntaxError(
            f"unknown rule key(s) {', '.join(map(str, unknown))}; "
            f"allowed: {', '.join(sorted(RULE_KEYS))}"
        )
    therapies = vocab.therapies.ids
    groups = list(vocab.groups)
    parts: list[Rule] = []
    for key, value in spec.items():
        if key == "always":
            if value is not True:
                raise RuleSyntaxError("'always' must be true")
            parts.append(Always())
        elif key in SCALAR_KEYS:
            field = SCALAR_KEYS[key]
            parts.append(FieldIn(field, _check(_as_set(value, key), vocab.fields[field].ids, key)))
        elif key == "syndrome":
            allowed = vocab.fields["hormone_syndrome"].ids
            parts.append(SyndromeIn(_check(_as_set(value, key), allowed, key)))
        elif key == "therapy":
            parts.append(TherapyMatch(_check(_as_set(value, key), therapies, key), frozenset()))
        elif key == "therapy_group":
            parts.append(TherapyMatch(frozenset(), _check(_as_set(value, key), groups, key)))
        elif key == "therapy_status":
            parts.append(_therapy_status(value, vocab))
        elif key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise RuleSyntaxError(f"{key!r} needs a non-empty list of rules")
            children = tuple(compile_rule(item, vocab, conditions) for item in value)
            parts.append(All(children) if key == "all" else Any_(children))
        elif key == "condition":
            if value not in conditions:
                known = ", ".join(conditions) or "none defined"
                raise RuleSyntaxError(f"unknown condition {value!r}; defined: {known}")
            parts.append(Named(str(value), conditions[value]))
        else:  # "not"
            parts.append(Not(compile_rule(value, vocab, conditions), _describe(value)))
    return parts[0] if len(parts) == 1 else All(tuple(parts))


def _therapy_status(value: Any, vocab: Vocabulary) -> Rule:
    if (
        not isinstance(value, Mapping)
        or "status" not in value
        or not ({"therapy", "therapy_group"} & set(value))
        or set(value) - {"therapy", "therapy_group", "status"}
    ):
        raise RuleSyntaxError(
            f"'therapy_status' needs 'status' and 'therapy' and/or 'therapy_group', got {value!r}"
        )
    ids = (
        _check(_as_set(value["therapy"], "therapy"), vocab.fields[THERAPIES].ids, "therapy")
        if "therapy" in value
        else frozenset()
    )
    groups = (
        _check(
            _as_set(value["therapy_group"], "therapy_group"), list(vocab.groups), "therapy_group"
        )
        if "therapy_group" in value
        else frozenset()
    )
    statuses = _check(_as_set(value["status"], "status"), vocab.statuses.ids, "status")
    return TherapyMatch(ids, groups, statuses)
