"""The profile form, built from the vocabulary, and the print options, built from RenderOptions.

Every profile key appears with its label, in the vocabulary's order, so a key or value added
to ``vocabulary.yaml`` (or an option added to ``RenderOptions``) appears with no template
change. What the nurse entered (a form state) becomes the same mapping a YAML profile gives,
and is checked by the same validator as the command line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from werkzeug.datastructures import MultiDict

from careplan.errors import Problem
from careplan.options import COPIES, PAPERS, PDF_VARIANTS, RenderOptions, handout_date
from careplan.profile import TRUE_WORDS, match_key, split_list
from careplan.vocab import THERAPIES, AmbiguousValue, UnknownValue, Vocabulary, load_vocabulary

FormState = dict[str, Any]

OTHER_THERAPIES = "therapies_other"  # loaded treatments that are not in the checklist
STATUS_PREFIX = "status."
OPTION_PREFIX = "option."
SOURCE = "form"
# "required: when `pancreatic_surgery` is not `none`": the field is needed only then.
CONDITION = re.compile(r"when `(\w+)` is not `(\w+)`")
# Keys whose vocabulary help describes the file format rather than the form control.
FILE_FORMAT_HELP = ("therapies", "flag")
OPTION_TEXT = {
    "date": ("Date printed on the handout", None),
    "paper": ("Paper size", None),
    "large_print": ("Large print for every handout", "18 pt and up, one column."),
    "pdf_variant": (
        "PDF type",
        "pdf/ua-1 is tagged for screen readers (the default); pdf/a types are for archives.",
    ),
    "allow_pending": (
        "Print content pending review",
        "Also print sections a clinician has not reviewed yet, and translations still waiting "
        "for a translator's review (marked so on every page). Leave this off unless your "
        "clinic has checked them; the page lists every such section that was printed.",
    ),
    "copy": (
        "Copy",
        "The patient's copy, or the clinician's copy: the same handout with each section's "
        "sources, review status and the reasons it was chosen (in English).",
    ),
    "language": (
        "Language for every handout",
        "Replaces each profile's own language. The Spanish is a machine draft waiting for a "
        "translator's review: it prints only with 'Print content pending review'.",
    ),
}
OPTION_CHOICES: dict[str, tuple[str, ...]] = {
    "paper": PAPERS,
    "pdf_variant": PDF_VARIANTS,
    "copy": COPIES,
}
CHOICE_LABELS = {
    "letter": "US Letter",
    "a4": "A4",
    "patient": "Patient's copy",
    "clinician": "Clinician's copy",
    "": "As in each profile",
}
# Not on the page: the English chart copy is a second file, which the page does not offer yet;
# chart_of is set by careplan itself.
NOT_ON_THE_PAGE = frozenset({"chart_copy", "chart_of"})


@dataclass(frozen=True)
class Choice:
    """One allowed value: its id, plain label and the words the filter box matches."""

    value: str
    label: str
    search: str = ""
    help: str = ""


@dataclass(frozen=True)
class Group:
    """A labelled group of choices (therapies by kind)."""

    label: str
    choices: tuple[Choice, ...]


@dataclass(frozen=True)
class FormField:
    """One profile key as a form control: text, textarea, select, checkboxes, therapies, flag."""

    name: str
    control: str
    label: str
    help: str | None
    required: bool
    max_length: int | None = None
    choices: tuple[Choice, ...] = ()
    groups: tuple[Group, ...] = ()
    default: str | None = None
    hidden_when: tuple[str, str] | None = None  # (key, value): not needed when key is value


@dataclass(frozen=True)
class OptionField:
    """One render option as a form control: date, select or flag."""

    name: str
    control: str
    label: str
    help: str | None
    choices: tuple[Choice, ...] = ()
    default: str | bool = ""

    @property
    def input_name(self) -> str:
        """Return the name the control posts under (never a profile key's name)."""
        return OPTION_PREFIX + self.name


def _choice(term_id: str, label: str, aliases: tuple[str, ...] = ()) -> Choice:
    words = " ".join((label, term_id.replace("_", " "), *(a.replace("_", " ") for a in aliases)))
    return Choice(term_id, label, words.casefold())


def profile_fields(vocab: Vocabulary) -> tuple[FormField, ...]:
    """Return a control for every profile key, in the vocabulary's order."""
    out = []
    for key in vocab.keys.values():
        condition = CONDITION.fullmatch(key.required) if isinstance(key.required, str) else None
        common: dict[str, Any] = {
            "name": key.name,
            "label": key.label,
            "help": None if key.kind in FILE_FORMAT_HELP else key.help,
            "required": key.required is True,
            "max_length": key.max_length,
            "hidden_when": condition.groups() if condition else None,
        }
        f = vocab.fields.get(key.name)
        if key.kind == "text":
            out.append(FormField(control="textarea" if key.multiline else "text", **common))
        elif key.kind == "flag":
            out.append(FormField(control="flag", **common))
        elif f is not None and key.kind == THERAPIES:
            out.append(FormField(control="therapies", groups=_therapy_groups(vocab), **common))
        elif f is not None:
            choices = tuple(_choice(t.id, t.label["en"], t.aliases) for t in f.terms.values())
            control = "checkboxes" if f.is_list else "select"
            out.append(FormField(control=control, choices=choices, default=f.default, **common))
    return tuple(out)


def _therapy_groups(vocab: Vocabulary) -> tuple[Group, ...]:
    grouped: dict[str, list[Choice]] = {}
    for term in vocab.therapies.terms.values():
        group = term.groups[0] if term.groups else ""
        grouped.setdefault(group, []).append(_choice(term.id, term.label["en"], term.aliases))
    return tuple(
        Group(vocab.groups.get(g, {}).get("en", "Other"), tuple(c)) for g, c in grouped.items()
    )


def status_choices(vocab: Vocabulary) -> tuple[Choice, ...]:
    """Return the therapy statuses (Planned, Having now, Finished)."""
    return tuple(
        Choice(t.id, t.label["en"], help=t.help or "") for t in vocab.statuses.terms.values()
    )


def empty_state(fields: tuple[FormField, ...]) -> FormState:
    """Return a blank form: coded fields at their defaults, nothing ticked."""
    state: FormState = {OTHER_THERAPIES: ""}
    for f in fields:
        blank: Any = {"checkboxes": [], "therapies": {}, "flag": False}.get(f.control, "")
        state[f.name] = f.default if f.control == "select" and f.default else blank
    return state


def state_from_form(form: MultiDict[str, str], fields: tuple[FormField, ...]) -> FormState:
    """Read what the nurse entered (posted form fields) into a form state."""
    state: FormState = {OTHER_THERAPIES: form.get(OTHER_THERAPIES, "")}
    for f in fields:
        if f.control == "checkboxes":
            state[f.name] = form.getlist(f.name)
        elif f.control == "therapies":
            state[f.name] = {t: form.get(STATUS_PREFIX + t, "") for t in form.getlist(f.name)}
        elif f.control == "flag":
            state[f.name] = f.name in form
        else:
            state[f.name] = form.get(f.name, "")
    return state


def form_data(state: FormState, fields: tuple[FormField, ...]) -> list[tuple[str, str]]:
    """Return the fields a browser posts for ``state`` (how scripts and tests fill the form)."""
    data = [(OTHER_THERAPIES, str(state.get(OTHER_THERAPIES, "")))]
    for f in fields:
        value = state.get(f.name)
        if f.control == "checkboxes":
            data += [(f.name, str(v)) for v in value or ()]
        elif f.control == "therapies":
            for therapy, status in (value or {}).items():
                data += [(f.name, therapy), (STATUS_PREFIX + therapy, status)]
        elif f.control == "flag":
            data += [(f.name, "yes")] if value else []
        else:
            data.append((f.name, str(value or "")))
    return data


def profile_values(state: FormState, fields: tuple[FormField, ...]) -> dict[str, Any]:
    """Return the profile mapping the form state stands for (what the validator checks)."""
    values: dict[str, Any] = {}
    for f in fields:
        value = state.get(f.name)
        if f.control == "therapies":
            chosen = [f"{t}:{s}" if s else t for t, s in (value or {}).items()]
            values[f.name] = chosen + split_list(state.get(OTHER_THERAPIES, ""))
        else:
            values[f.name] = value
    return values


def profile_yaml(values: Mapping[str, Any]) -> str:
    """Return a profile as YAML that ``careplan render`` reads back (blank keys left out)."""
    kept = {k: v for k, v in values.items() if k == THERAPIES or v not in ("", [], None, False)}
    header = "# A careplan profile, saved from careplan serve.\n"
    return header + yaml.safe_dump(kept, allow_unicode=True, sort_keys=False, width=100)


def state_from_values(
    values: Mapping[Any, Any], fields: tuple[FormField, ...], vocab: Vocabulary
) -> tuple[FormState, list[str]]:
    """Fill a form state from a loaded profile; return it and notes on what was left out."""
    state = empty_state(fields)
    notes = []
    by_name = {f.name: f for f in fields}
    for n, (raw_key, value) in enumerate(values.items(), 1):
        key = match_key(str(raw_key), vocab)[0]
        if key is None or key not in by_name:
            notes.append(f"key {n} of the file is not a profile field; it was left out")
            continue
        f = by_name[key]
        if f.control == "flag":
            state[key] = value is True or str(value).strip().casefold() in TRUE_WORDS
        elif f.control == "therapies":
            state[key], state[OTHER_THERAPIES] = _therapies(value, vocab)
        elif f.control == "checkboxes":
            state[key] = [_resolve(vocab, key, item) for item in split_list(value)]
        elif isinstance(value, str):  # the plain YAML reader keeps every value as text
            state[key] = _resolve(vocab, key, str(value)) if f.control == "select" else str(value)
        elif value is not None:
            notes.append(f"{key}: not a single value; it was left empty")
    return state, notes


def _resolve(vocab: Vocabulary, key: str, raw: Any) -> str:
    """Return the id ``raw`` stands for, or ``raw`` as it was (the validator explains)."""
    try:
        return vocab.fields[key].resolve(str(raw))
    except (UnknownValue, AmbiguousValue):
        return str(raw)


def _therapies(value: Any, vocab: Vocabulary) -> tuple[dict[str, str], str]:
    chosen: dict[str, str] = {}
    other: list[str] = []
    for item in split_list(value):
        text = f"{item.get('id', '')}:{item.get('status', '')}" if isinstance(item, dict) else item
        name, _, status = str(text).rpartition(":") if ":" in str(text) else (text, "", "")
        try:
            therapy = vocab.therapies.resolve(str(name))
            chosen[therapy] = vocab.statuses.resolve(status) if status.strip() else ""
        except (UnknownValue, AmbiguousValue):
            other.append(str(text))
    return chosen, "; ".join(other)


def option_fields(exclude: Collection[str] = ()) -> tuple[OptionField, ...]:
    """Return a control for every render option (from ``RenderOptions``), less ``exclude``."""
    out = []
    languages = load_vocabulary().fields["language"]
    for spec in dataclasses.fields(RenderOptions):
        if spec.name in exclude or spec.name in NOT_ON_THE_PAGE:
            continue
        label, help_text = OPTION_TEXT.get(
            spec.name, (spec.name.replace("_", " ").capitalize(), None)
        )
        label = spec.metadata.get("label", label)
        help_text = spec.metadata.get("help", help_text)
        choices = spec.metadata.get("choices", OPTION_CHOICES.get(spec.name))
        default = spec.default if isinstance(spec.default, str | bool) else ""
        if spec.name == "date":
            out.append(OptionField("date", "date", label, help_text))
        elif spec.name == "language":
            listed = (
                Choice("", CHOICE_LABELS[""]),
                *(Choice(v, languages.label(v, "en")) for v in languages.ids),
            )
            out.append(OptionField("language", "select", label, help_text, listed, ""))
        elif choices:
            listed = tuple(Choice(c, CHOICE_LABELS.get(c, c)) for c in choices)
            out.append(OptionField(spec.name, "select", label, help_text, listed, default))
        elif spec.type in ("bool", bool):
            out.append(OptionField(spec.name, "flag", label, help_text, default=default))
    return tuple(out)


def default_options_state(fields: tuple[OptionField, ...]) -> dict[str, Any]:
    """Return the options a new form starts with (today's date, the defaults)."""
    return {
        f.name: handout_date().isoformat() if f.control == "date" else f.default for f in fields
    }


def options_state(form: MultiDict[str, str], fields: tuple[OptionField, ...]) -> dict[str, Any]:
    """Read the posted options as entered (an option not posted keeps its default)."""
    defaults = default_options_state(fields)
    return {
        f.name: (f.input_name in form)
        if f.control == "flag"
        else form.get(f.input_name, defaults[f.name])
        for f in fields
    }


def render_options(
    state: Mapping[str, Any], fields: tuple[OptionField, ...]
) -> tuple[RenderOptions | None, list[Problem]]:
    """Check the entered options; return RenderOptions, or None and the problems."""
    problems = []
    kwargs: dict[str, Any] = {}
    for f in fields:
        value = state.get(f.name)
        if f.control == "date":
            try:
                kwargs["date"] = dt.date.fromisoformat(str(value))
            except ValueError:
                problems.append(Problem(SOURCE, f.input_name, "is not a date (YYYY-MM-DD)"))
        elif f.control == "select" and value not in {c.value for c in f.choices}:
            allowed = ", ".join(c.value for c in f.choices)
            problems.append(
                Problem(SOURCE, f.input_name, f"not an allowed value. Allowed: {allowed}")
            )
        else:
            kwargs[f.name] = value or None if f.name == "language" else value
    if problems:
        return None, problems
    try:
        return RenderOptions(**kwargs), []
    except ValueError as error:  # a combination the options refuse (a clinician's copy in Spanish)
        return None, [Problem(SOURCE, None, str(error))]
