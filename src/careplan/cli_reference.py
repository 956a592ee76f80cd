"""The reference commands: ``vocab``, ``explain`` and ``modules`` (none imports WeasyPrint)."""

from __future__ import annotations

import datetime as dt
import json
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
@click.option("--markdown", is_flag=True, help="Print the Markdown kept at docs/modules.md.")
def modules(as_json: bool, markdown: bool) -> None:
    """List every content module with its sources, review dates and reading grade.

    For the clinical reviewer. Modules past their review date or pending review are marked.
    The reading grade (Flesch-Kincaid) needs the test extra: pip install 'careplan[test]'.

    \b
    Example:
      careplan modules --markdown > docs/modules.md
    """
    from careplan.library import load_library
    from careplan.review import review_markdown, review_modules

    library = load_library()
    if markdown:
        click.echo(review_markdown(library), nl=False)
        return
    rows = review_modules(library, today=dt.date.today())
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], indent=2))
        return
    for r in rows:
        grade = "n/a" if r.reading_grade is None else f"{r.reading_grade:.1f}"
        flags = f"  {' '.join(r.flags)}" if r.flags else ""
        click.echo(
            f"{r.id:<40} grade {grade:>4}  reviewed {r.last_reviewed}  due {r.review_due}"
            f"  sources {', '.join(r.sources)}{flags}"
        )
