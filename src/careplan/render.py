"""Render one validated profile into a handout: the library entry point behind ``careplan``.

>>> from careplan.inputs import read_records, single_record, to_profile
>>> from careplan.options import default_options
>>> from careplan.render import render_profile
>>> record = single_record(read_records("profiles/pancreas-whipple-insulinoma.yaml"))
>>> document = render_profile(to_profile(record).profile, options=default_options())
>>> Path("handout.pdf").write_bytes(document.data)                    # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from careplan.clinic import Clinic
from careplan.errors import PendingContent, Problem
from careplan.fonts import font_problems
from careplan.formats import FORMATS, Format
from careplan.html import page_number_css, render_html
from careplan.library import Library, Module, load_library
from careplan.model import ParsedProfile, Profile
from careplan.options import RenderOptions, handout_date
from careplan.output import id_digest
from careplan.plan import Plan, build_plan
from careplan.translations import Translation
from careplan.vocab import load_vocabulary


@dataclass(frozen=True)
class Document:
    """A rendered handout: its plan and HTML, the bytes in ``format``, pages, nurse warnings."""

    plan: Plan
    html: str
    data: bytes
    format: Format
    pages: int
    warnings: tuple[Problem, ...]
    clinic_values: frozenset[str] = frozenset()  # the clinic values it printed or left blank


def plan_for(
    profile: Profile, *, today: dt.date | None = None, library: Library | None = None
) -> Plan:
    """Select the content for a profile (no rendering)."""
    return build_plan(
        profile, library or load_library(), load_vocabulary(), today=today or handout_date()
    )


# Files every handout uses besides its modules (their translations gate a handout too).
SHARED_FILES = (
    "signs.yaml",
    "glossary.yaml",
    "logs.yaml",
    "figures.yaml",
    "library.yaml",
    "ui.yaml",
)


def unsigned_pending(plan: Plan, clinic: Clinic) -> list[Module]:
    """Return the plan's modules that are pending review and not signed off by this clinic.

    A clinic signs a module off by its file's SHA-256: any edit to the module voids it.
    """
    return [m for m in plan.pending if clinic.signed_off.get(m.id) != m.sha256]


def effective_options(profile: Profile, options: RenderOptions) -> RenderOptions:
    """Return the options this profile prints with (large print: the option or the profile)."""
    return replace(options, large_print=options.large_print or profile.large_print)


def effective_profile(profile: Profile, options: RenderOptions) -> Profile:
    """Return the profile as it prints: in the language the options ask for, if any; a chart
    copy and a clinician's copy are in English."""
    language = "en" if options.chart_of or options.copy == "clinician" else options.language
    return replace(profile, language=language) if language else profile


def language_override(parsed: ParsedProfile, options: RenderOptions) -> str | None:
    """Warn when ``--language`` overrides a different language the profile asked for."""
    asked = parsed.profile.language
    if options.language and "language" in parsed.given and asked != options.language:
        return (
            f"the profile asks for language '{asked}'; --language prints it in '{options.language}'"
        )
    return None


def chart_copy(profile: Profile, *, options: RenderOptions, **kwargs: Any) -> Document:
    """Render the English chart copy of a handout in another language, from the same plan."""
    language = options.language or profile.language
    if language == "en":
        raise ValueError("a chart copy is the English copy of a handout in another language")
    return render_profile(profile, options=replace(options, chart_of=language), **kwargs)


def pending_translations(plan: Plan, library: Library) -> list[Translation]:
    """Return the translations a handout in ``plan.language`` uses that are not approved and
    current (its modules' files, the shared files, the vocabulary)."""
    if plan.language == "en":
        return []
    done = library.translations.get(plan.language, {})
    files = {m.id: m.file for m in library.modules}
    names = [files[m.id] for m in plan.modules()]
    names += [n for n in SHARED_FILES if n in done]
    used = [done[n] for n in names if n in done]
    vocab = load_vocabulary().translations.get(plan.language)
    return [t for t in (*used, *([vocab] if vocab else [])) if not t.printable]


def render_profile(
    profile: Profile,
    *,
    options: RenderOptions,
    clinic: Clinic | None = None,
    fmt: str = "pdf",
    source: str = "profile",
) -> Document:
    """Select content, render HTML and write it in ``fmt`` (``pdf`` or ``html``).

    ``source`` names the input in the nurse warnings the document carries.
    """
    clinic = clinic or Clinic()
    options = effective_options(profile, options)
    profile = effective_profile(profile, options)
    library = load_library()
    plan = plan_for(profile, today=options.date, library=library)
    pending = unsigned_pending(plan, clinic)
    untranslated = pending_translations(plan, library)
    if (pending or untranslated) and not options.allow_pending:
        raise PendingContent(
            [
                *(
                    Problem(
                        source,
                        None,
                        f"module {m.id} is pending clinical review; "
                        "rerun with --allow-pending to print it",
                    )
                    for m in pending
                ),
                *(
                    Problem(
                        source,
                        None,
                        f"{t.why_pending()}; rerun with --allow-pending "
                        "to print it marked as pending review",
                    )
                    for t in untranslated
                ),
            ]
        )
    figures = [f for m in plan.modules() for f in m.figures]
    shown = frozenset(
        f.id
        for f in figures
        if not f.pending or options.allow_pending or clinic.signed_off.get(f.id) == f.sha256
    )
    used: set[str] = set()
    html = render_html(
        plan,
        library,
        clinic,
        options,
        id_digest=id_digest(profile.id),
        figures_shown=shown,
        used=used,
        translation_pending=bool(untranslated),
    )
    page_css = page_number_css(library.ui[plan.language])
    extra = (clinic.logo,) if clinic.logo else ()
    data, pages = FORMATS[fmt].write(html, options, page_css, extra)
    notes = [
        *plan.warnings,
        *(
            f"module {m.id} is pending clinical review and was printed with --allow-pending"
            for m in pending
        ),
    ]
    notes += [
        f"figure {f.id} is pending clinical review and was left out; --allow-pending prints it"
        for f in figures
        if f.id not in shown
    ]
    if untranslated:
        notes.append(
            f"the {plan.language} text is a translation pending review ({len(untranslated)} "
            "files); the handout says so on page 1 and in its footer"
        )
    warnings = (*(Problem(source, None, w) for w in notes), *font_problems(profile, source))
    return Document(plan, html, data, FORMATS[fmt], pages, tuple(warnings), frozenset(used))
