"""The reference commands: ``vocab``, ``explain`` and ``modules`` (none imports WeasyPrint)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from typing import Any

import click


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option("--markdown", is_flag=True, help="Print the README's profile table.")
def vocab(as_json: bool, markdown: bool) -> None:
    """List every profile key and allowed value, with plain labels and aliases.

    \b
    Example:
      careplan vocab --json > vocabulary.json
    """
    from careplan.vocab import load_vocabulary

    vocabulary = load_vocabulary()
    if markdown:
        click.echo(vocabulary.profile_table(), nl=False)
        return
    data = vocabulary.as_dict()
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    for key, spec in data.items():
        if "kind" not in spec:
            continue
        required = " (required)" if spec["required"] is True else ""
        if "values" not in spec:
            spellings = ", ".join(spec["aliases"]) or "-"
            click.echo(
                f"{key}{required}: {spec.get('help', spec['kind'])}; other spellings: {spellings}\n"
            )
            continue
        extra = f", default {spec['default']}" if spec["default"] else ""
        kind = "; a list (separate items with ;)" if spec["list"] else ""
        click.echo(f"{key}{required}{extra}{kind}")
        _echo_values(spec)
    click.echo("therapy status (write id:status, default planned)")
    _echo_values(data["statuses"])


def _echo_values(spec: dict[str, Any]) -> None:
    for value, info in spec["values"].items():
        aliases = f"  [also: {', '.join(info['aliases'])}]" if info["aliases"] else ""
        click.echo(f"  {value:<26} {info['label']}{aliases}")
        if info.get("help"):
            click.echo(f"  {'':<26} {info['help']}")
    for alias, choices in spec["ambiguous"].items():
        click.echo(f"  ({alias!r} is ambiguous: write one of {', '.join(choices)})")
    click.echo("")


@click.command()
@click.argument("profile", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def explain(profile: str, as_json: bool) -> None:
    """Show which sections a profile's handout will contain, and why.

    \b
    Example:
      careplan explain profiles/lung-carcinoid-after-surgery.yaml
    """
    from careplan.inputs import read_records, single_record, to_profile
    from careplan.plan import explain as explain_plan
    from careplan.render import plan_for

    parsed = to_profile(single_record(read_records(profile)))
    data = explain_plan(plan_for(parsed.profile))
    for warning in [*parsed.warnings, *data["warnings"]]:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.echo(data["title"])
    for section in data["sections"]:
        click.echo(f"\n{section['heading']}")
        for module in section["modules"]:
            click.echo(f"  - {module['title']}  [{module['id']}]")
            click.echo(f"      because: {'; '.join(module['because'])}")
    logs = ", ".join(data["logs"]) or "none"
    card = "yes" if data["wallet_card"] else "no"
    click.echo(
        f"\nCall-now signs: {len(data['call_now'])}; diary pages: {logs}; wallet card: {card}"
    )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.option(
    "--markdown",
    is_flag=True,
    help="Print the Markdown kept at docs/modules.md (with --language: docs/modules-LANG.md).",
)
@click.option(
    "--language", default="en", metavar="en|es", help="Review the modules' words in this language."
)
def modules(as_json: bool, markdown: bool, language: str) -> None:
    """List every content module with its sources, review dates and reading grade.

    For the clinical reviewer. Modules past their review date or pending review are marked.
    The reading grade (Flesch-Kincaid) needs the test extra: pip install 'careplan[test]'.
    In another language: its readability (INFLESZ and Fernández-Huerta, flagged below 65 and
    70) and, with --markdown, the side-by-side sheet for the reviewing translator.

    \b
    Example:
      careplan modules --markdown > docs/modules.md
      careplan modules --language es --markdown > docs/modules-es.md
    """
    from careplan.library import load_library
    from careplan.review import (
        review_markdown,
        review_modules,
        review_translations,
        translation_markdown,
    )
    from careplan.vocab import load_vocabulary

    library = load_library()
    if language not in library.languages:
        raise click.BadParameter(
            f"allowed: {', '.join(library.languages)}", param_hint="--language"
        )
    if language != "en":
        if markdown:
            click.echo(translation_markdown(library, load_vocabulary(), language), nl=False)
            return
        reviews = review_translations(library, language)
        if as_json:
            click.echo(json.dumps([asdict(r) for r in reviews], indent=2, ensure_ascii=False))
            return
        for review in reviews:
            flags = "  HARD TO READ" if review.hard_to_read else ""
            stale = " (stale)" if review.stale else ""
            click.echo(
                f"{review.id:<40} INFLESZ {review.inflesz:>5.1f}  "
                f"Fernández-Huerta {review.fernandez_huerta:>5.1f}  {review.status}{stale}{flags}"
            )
        return
    if markdown:
        click.echo(review_markdown(library), nl=False)
        return
    rows_en = review_modules(library, today=dt.date.today())
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows_en], indent=2))
        return
    for r in rows_en:
        grade = "n/a" if r.reading_grade is None else f"{r.reading_grade:.1f}"
        flags = f"  {' '.join(r.flags)}" if r.flags else ""
        click.echo(
            f"{r.id:<40} grade {grade:>4}  reviewed {r.last_reviewed}  due {r.review_due}"
            f"  sources {', '.join(r.sources)}{flags}"
        )


@click.command()
@click.argument("language")
@click.option(
    "--update",
    is_flag=True,
    help="Write the bilingual files: add new English ids (with an empty translation), drop ids "
    "the English lost, keep every existing translation.",
)
def translations(language: str, update: bool) -> None:
    """Show where each file's translation into LANGUAGE stands, or start and refresh them.

    A translation lives beside the English in content/i18n/LANGUAGE/ (see
    docs/content-schema.md). Without --update, list each file's status, method and the ids
    whose English changed since it was translated.

    \b
    Example:
      careplan translations es --update     # then fill in the empty "es:" texts
      careplan translations es
    """
    from careplan.errors import ContentError
    from careplan.library import load_library
    from careplan.resources import CONTENT_DIR
    from careplan.translations import i18n_path, skeleton
    from careplan.vocab import load_vocabulary, vocabulary_words
    from careplan.yamlio import dump_yaml, read_yaml

    if language == "en":
        raise click.UsageError("English is the source language; name another, e.g. es")
    if update:
        library = load_library(english_only=True)
        vocab = load_vocabulary(english_only=True)
        tables = {
            **library.english_words,
            "vocabulary.yaml": vocabulary_words(vocab.fields, vocab.profile_words),
        }
        empty = 0
        for name, table in tables.items():
            path = i18n_path(CONTENT_DIR, language, CONTENT_DIR / name)
            old = read_yaml(path) if path.exists() else None
            new = skeleton(table, language, old)
            empty += sum(1 for entry in new["strings"].values() if not entry[language])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(dump_yaml(new), encoding="utf-8")
        click.echo(f"wrote {len(tables)} files under {CONTENT_DIR / 'i18n' / language}")
        click.echo(f"{empty} texts to translate", err=True)
        return
    try:
        library = load_library()
        vocab = load_vocabulary()
    except ContentError as error:
        for problem in error.problems[:40]:
            click.echo(f"error: {problem}", err=True)
        raise SystemExit(1) from None
    files = {**library.translations.get(language, {})}
    if language in vocab.translations:
        files["vocabulary.yaml"] = vocab.translations[language]
    if not files:
        raise click.UsageError(f"no translation into {language!r}; start one with --update")
    for name, done in sorted(files.items()):
        stale = f"  stale: {', '.join(done.stale_ids)}" if done.stale else ""
        click.echo(f"{name:<55} {done.status:<15} {done.method:<20}{stale}")
