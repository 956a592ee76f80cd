"""The ``careplan`` command: a thin shell over the library functions.

Exit codes: 0 success; 1 invalid input or a failed render (one line per problem on stderr,
no traceback); 2 usage errors. ``validate``, ``vocab`` and ``explain`` never import WeasyPrint.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from careplan import __version__
from careplan.errors import CareplanError

if TYPE_CHECKING:
    from careplan.html import RenderOptions

F = TypeVar("F", bound=Callable[..., Any])

PAPER_HELP = "Paper size (default: letter)."
LARGE_HELP = "Large print: 18 pt and up, single column (also the profile's large_print field)."
VARIANT_HELP = "PDF variant: pdf/ua-1 (default, tagged for accessibility), pdf/a-3b, none, ..."
DATE_HELP = "Date printed on the handout, YYYY-MM-DD (default: SOURCE_DATE_EPOCH, else today)."
NO_CLINIC_WARNING = (
    "NO CLINIC FILE (--clinic): every phone number, the fever threshold and the PRRT day "
    "counts will print as BLANK LINES. Fill them in by hand, or rerun with "
    "--clinic clinic.yaml."
)
CLINIC_HELP = "Clinic file with phone numbers, fever threshold and PRRT day counts."


def fail(error: CareplanError) -> None:
    """Print each problem on its own line on stderr and exit 1."""
    for problem in error.problems:
        click.echo(f"error: {problem}", err=True)
    sys.exit(1)


def warn(messages: Any) -> None:
    """Print warnings for the nurse on stderr (never in the handout)."""
    for message in messages:
        click.echo(f"warning: {message}", err=True)


def handles_errors(func: F) -> F:
    """Turn CareplanError into clean stderr lines and exit code 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CareplanError as error:
            fail(error)

    return wrapper  # type: ignore[return-value]


def render_options(func: F) -> F:
    """Add the options shared by ``render`` and ``batch``; pass them on as ``options``."""

    @wraps(func)
    def wrapper(
        *args: Any,
        paper: str,
        large_print: bool,
        pdf_variant: str,
        printed_date: dt.datetime | None,
        **kwargs: Any,
    ) -> Any:
        options = build_options(paper, large_print, pdf_variant, printed_date)
        return func(*args, options=options, **kwargs)

    options = [
        click.option("--clinic", type=click.Path(dir_okay=False, path_type=Path), help=CLINIC_HELP),
        click.option(
            "--paper",
            type=click.Choice(["letter", "a4"], case_sensitive=False),
            default="letter",
            show_default=True,
            help=PAPER_HELP,
        ),
        click.option("--large-print", is_flag=True, help=LARGE_HELP),
        click.option(
            "--pdf-variant",
            default="pdf/ua-1",
            show_default=True,
            metavar="NAME",
            help=VARIANT_HELP,
        ),
        click.option("--date", "printed_date", type=click.DateTime(["%Y-%m-%d"]), help=DATE_HELP),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]


def build_options(
    paper: str, large_print: bool, pdf_variant: str, printed_date: dt.datetime | None
) -> RenderOptions:
    """Validate the shared render options (usage errors exit 2)."""
    from careplan.html import PDF_VARIANTS, RenderOptions
    from careplan.render import handout_date

    if pdf_variant not in PDF_VARIANTS:
        raise click.BadParameter(
            f"{pdf_variant!r} is not one of {', '.join(PDF_VARIANTS)}",
            param_hint="'--pdf-variant'",
        )
    return RenderOptions(
        date=handout_date(printed_date.date() if printed_date else None),
        paper=paper.lower(),
        large_print=large_print,
        pdf_variant=pdf_variant,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="careplan")
def cli() -> None:
    """Print tailored care-plan handouts for people with neuroendocrine tumors (NETs).

    \b
    Start with:
      careplan render profiles/pancreas-whipple-insulinoma.yaml
      careplan explain profiles/pancreas-whipple-insulinoma.yaml
      careplan validate examples/clinic-day.csv
    """


@cli.command()
@click.argument("profile", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output file (default: <id>.pdf, or the profile file's name, in the working directory).",
)
@click.option("--html", "html_only", is_flag=True, help="Write the HTML instead of the PDF.")
@render_options
@handles_errors
def render(
    profile: str,
    output: Path | None,
    html_only: bool,
    clinic: Path | None,
    options: RenderOptions,
) -> None:
    """Render one profile (a YAML file, or - for standard input) into a PDF handout.

    \b
    Example:
      careplan render profiles/small-bowel-carcinoid-lanreotide-prrt.yaml \\
          --clinic examples/clinic.yaml -o handout.pdf
    """
    from careplan.clinic import load_clinic
    from careplan.output import safe_stem, write_atomic
    from careplan.profile import load_profile
    from careplan.render import render_profile

    parsed = load_profile(profile)
    clinic_settings = load_clinic(clinic)
    if clinic is None:
        warn([NO_CLINIC_WARNING])
    handout = render_profile(
        parsed.profile, options=options, clinic=clinic_settings, html_only=html_only
    )
    warn([*parsed.warnings, *handout.warnings])
    suffix = ".html" if html_only else ".pdf"
    if output is None:
        stem = (
            safe_stem(parsed.profile.id)
            or (safe_stem(Path(profile).stem) if profile != "-" else None)
            or "handout"
        )
        output = Path.cwd() / f"{stem}{suffix}"
    write_atomic(output, handout.html if html_only else handout.pdf)  # type: ignore[arg-type]
    pages = "" if html_only else f" ({handout.pages} pages)"
    click.echo(f"wrote {output}{pages}", err=True)


@cli.command()
@click.argument("profiles", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--outdir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the PDFs (<id>.pdf), report.csv and manifest.json.",
)
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1), help="Worker processes (default: one per core)."
)
@click.option(
    "--merge",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write one PDF of every handout, in row order, for double-sided printing.",
)
@click.option(
    "--skip-existing",
    is_flag=True,
    help="Skip rows whose PDF was already made from the same row, clinic file and options.",
)
@click.option("--only", metavar="ID,...", help="Render only the rows with these ids.")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the report (default: OUTDIR/report.csv).",
)
@render_options
@handles_errors
def batch(
    profiles: Path,
    outdir: Path,
    jobs: int | None,
    merge: Path | None,
    skip_existing: bool,
    only: str | None,
    report: Path | None,
    clinic: Path | None,
    options: RenderOptions,
) -> None:
    """Render one PDF handout per row of a CSV file (as a spreadsheet exports it).

    One bad row never stops the others: each is listed with its reason, and the run ends
    with "N written, M failed, K skipped". Exits 0 when every row was written or skipped,
    1 when any failed, 130 on Ctrl-C.

    \b
    Example:
      careplan batch examples/clinic-day.csv -o handouts/ --clinic examples/clinic.yaml \\
          --merge handouts/print-all.pdf
    """
    from careplan.batch import BatchProgress, run_batch

    if clinic is None:
        warn([NO_CLINIC_WARNING])
    summary = run_batch(
        profiles,
        outdir,
        options=options,
        clinic_path=clinic,
        jobs=jobs,
        merge=merge,
        skip_existing=skip_existing,
        only=(only or "").split(","),
        report=report,
        progress=BatchProgress(sys.stderr),
    )
    warn(summary.notes)
    click.echo(f"report: {summary.report}", err=True)
    if summary.merged:
        click.echo(f"print file: {summary.merged} ({summary.merged_pages} pages)", err=True)
    click.echo(summary.line(), err=True)
    sys.exit(summary.exit_code)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@handles_errors
def validate(file: str) -> None:
    """Check a YAML profile, or a CSV of profiles, and render nothing.

    Every problem is listed with its row (as a spreadsheet numbers it), field, value and the
    allowed values. Exits 1 if anything is invalid.

    \b
    Example:
      careplan validate examples/clinic-day.csv
    """
    from careplan.profile import load_profile

    if file.lower().endswith((".csv", ".tsv", ".txt")):
        from careplan.csvinput import validate_csv

        report = validate_csv(Path(file))
        warn(report.warnings)
        for problem in report.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"{report.valid} valid, {report.invalid} invalid", err=True)
        sys.exit(1 if report.invalid or report.fatal else 0)
    parsed = load_profile(file)
    warn(parsed.warnings)
    click.echo(f"{file}: valid", err=True)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def vocab(as_json: bool) -> None:
    """List every allowed profile value with its plain label and aliases.

    \b
    Example:
      careplan vocab --json > vocabulary.json
    """
    from careplan.profile import FREE_KEYS, PROFILE_KEYS, REQUIRED_KEYS
    from careplan.vocab import load_vocabulary

    data = load_vocabulary().as_dict()
    if as_json:
        fields = {
            key: {
                "required": key in REQUIRED_KEYS,
                **data.get(key, {"aliases": list(FREE_KEYS.get(key, ()))}),
            }
            for key in PROFILE_KEYS
        }
        fields["therapy status"] = data["statuses"]
        click.echo(json.dumps(fields, indent=2, ensure_ascii=False))
        return
    for key in PROFILE_KEYS:
        spec = data.get(key)
        required = " (required)" if key in REQUIRED_KEYS else ""
        if spec is None:
            click.echo(
                f"{key}{required}: free text; other spellings: "
                f"{', '.join(FREE_KEYS.get(key, ())) or '-'}\n"
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
    for alias, choices in spec["ambiguous"].items():
        click.echo(f"  ({alias!r} is ambiguous: write one of {', '.join(choices)})")
    click.echo("")


@cli.command()
@click.argument("profile", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@handles_errors
def explain(profile: str, as_json: bool) -> None:
    """Show which sections a profile's handout will contain, and why.

    \b
    Example:
      careplan explain profiles/lung-carcinoid-after-surgery.yaml
    """
    from careplan.profile import load_profile
    from careplan.render import plan_for

    parsed = load_profile(profile)
    plan = plan_for(parsed.profile)
    warn([*parsed.warnings, *plan.warnings])
    sections = [
        {
            "section": s.id,
            "heading": s.heading,
            "modules": [
                {"id": m.id, "title": m.title, "because": list(m.reasons)} for m in s.modules
            ],
        }
        for s in plan.sections
    ]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "title": plan.title,
                    "sections": sections,
                    "call_now": [s.id for s in plan.signs],
                    "logs": [log.id for log in plan.logs],
                    "wallet_card": bool(plan.wallet_card),
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    click.echo(plan.title)
    for section in sections:
        click.echo(f"\n{section['heading']}")
        for module in section["modules"]:
            click.echo(f"  - {module['title']}  [{module['id']}]")
            click.echo(f"      because: {'; '.join(module['because'])}")
    click.echo(
        f"\nCall-now signs: {len(plan.signs)}; diary pages: "
        f"{', '.join(log.id for log in plan.logs) or 'none'}; "
        f"wallet card: {'yes' if plan.wallet_card else 'no'}"
    )


@cli.command()
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
    rows = review_modules(library)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        **r.__dict__,
                        "last_reviewed": r.last_reviewed.isoformat(),
                        "review_due": r.review_due.isoformat(),
                    }
                    for r in rows
                ],
                indent=2,
            )
        )
        return
    today = dt.date.today()
    for r in rows:
        flags = [
            f
            for f, on in (
                ("PENDING REVIEW", r.review_status == "pending"),
                ("PAST REVIEW DATE", r.review_due < today),
            )
            if on
        ]
        grade = "n/a" if r.reading_grade is None else f"{r.reading_grade:.1f}"
        click.echo(
            f"{r.id:<40} grade {grade:>4}  reviewed {r.last_reviewed}  due {r.review_due}"
            f"  sources {', '.join(r.sources)}{'  ' + ' '.join(flags) if flags else ''}"
        )


def main() -> None:
    """Entry point for the ``careplan`` script."""
    cli(prog_name="careplan")
