"""The ``careplan`` commands: wiring only; every step is a library function.

``render``, ``batch`` and ``validate`` are here; the reference commands (``vocab``,
``explain``, ``modules``) are in ``cli_reference``; the entry point is ``careplan.__main__``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from careplan import __version__
from careplan.cli_support import CareplanGroup, errors, render_options, render_outputs, warn
from careplan.options import RenderOptions


@click.group(cls=CareplanGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
    type=click.Path(allow_dash=True, path_type=Path),
    help="Output file, or - for standard output (default: <id>.pdf or <id>.clinician.pdf here).",
)
@click.option("--html", "html_only", is_flag=True, help="Write the HTML instead of the PDF.")
@render_options
def render(
    profile: str,
    output: Path | None,
    html_only: bool,
    clinic: Path | None,
    options: RenderOptions,
    force: bool,
) -> None:
    """Render one profile (a YAML file, - for standard input, or a one-row CSV) as a handout.

    \b
    Example:
      careplan render profiles/small-bowel-carcinoid-lanreotide-prrt.yaml \\
          --clinic examples/clinic.yaml -o handout.pdf
    """
    from careplan.clinic import load_clinic
    from careplan.formats import FORMATS
    from careplan.inputs import read_records, single_record, to_profile
    from careplan.output import check_distinct, check_replace, id_digest, write_output
    from careplan.render import chart_copy as render_chart
    from careplan.render import language_override, render_profile

    records = read_records(profile)
    parsed = to_profile(single_record(records))
    settings = load_clinic(clinic)
    fmt = FORMATS["html" if html_only else "pdf"]
    outputs = render_outputs(parsed.profile, records.name, output, fmt.suffix, options)
    inputs = {"profile": Path(profile), "clinic file": clinic, "logo": settings.logo}
    check_distinct(dict(zip(("output", "chart copy"), outputs, strict=False)), inputs)
    for path in (p for p in outputs if str(p) != "-"):
        check_replace(path, owner_id=id_digest(parsed.profile.id), force=force)
    document = render_profile(
        parsed.profile, options=options, clinic=settings, fmt=fmt.name, source=records.name
    )
    documents = [document]
    if options.chart_copy:
        documents.append(
            render_chart(
                parsed.profile, options=options, clinic=settings, fmt=fmt.name, source=records.name
            )
        )
    override = language_override(parsed, options)
    warn([*settings.warnings(document.clinic_values), *parsed.warnings, *document.warnings])
    warn([override] if override else [])
    for path, written in zip(outputs, documents, strict=True):
        write_output(path, written.data)
        where = "standard output" if str(path) == "-" else path
        pages = f" ({written.pages} pages)" if written.pages else ""
        click.echo(f"wrote {where}{pages}", err=True)


@cli.command()
@click.argument("profiles", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--outdir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the handouts (<id>.pdf), report.csv and manifest.json.",
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
    help="Skip rows whose handout was made from the same row, clinic file and options.",
)
@click.option("--only", metavar="ID,...", help="Render only the rows with these ids.")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Where to write the report (default: OUTDIR/report.csv).",
)
@render_options
@click.pass_context
def batch(
    ctx: click.Context,
    profiles: Path,
    outdir: Path,
    jobs: int | None,
    merge: Path | None,
    skip_existing: bool,
    only: str | None,
    report: Path | None,
    clinic: Path | None,
    options: RenderOptions,
    force: bool,
) -> None:
    """Render one handout per row of a CSV file (as a spreadsheet exports it).

    One bad row never stops the others: each is listed with its reason, and the run ends
    with "N written, M failed, K skipped". Exits 0 when every row was written or skipped,
    1 when anything failed, 130 on Ctrl-C, 143 on SIGTERM.

    \b
    Example:
      careplan batch examples/clinic-day.csv -o handouts/ --clinic examples/clinic.yaml \\
          --merge handouts/print-all.pdf
    """
    from careplan.batch import run_batch
    from careplan.clinic import load_clinic
    from careplan.progress import BatchProgress

    warn(load_clinic(clinic).warnings())
    progress = BatchProgress(sys.stderr)
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
        force=force,
        progress=progress,
    )
    errors(summary.problems)
    warn(summary.notes)
    click.echo(f"report: {summary.report}", err=True)
    if summary.merged:
        click.echo(f"print file: {summary.merged} ({summary.merged_pages} pages)", err=True)
    click.echo(summary.line(), err=True)
    ctx.exit(summary.exit_code)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.pass_context
def validate(ctx: click.Context, file: str) -> None:
    """Check a YAML profile, or a CSV of profiles, and render nothing.

    Every problem is listed with its row (as a spreadsheet numbers it), field and the
    allowed values. Exits 1 if anything is invalid.

    \b
    Example:
      careplan validate examples/clinic-day.csv
    """
    from careplan.validate import validate_input

    report = validate_input(file)
    warn(report.warnings)
    errors(report.problems)
    click.echo(report.summary(), err=True)
    ctx.exit(report.exit_code)


def _register() -> None:
    from careplan.cli_reference import explain, modules, translations, vocab
    from careplan.cli_serve import serve

    for command in (vocab, explain, modules, translations, serve):
        cli.add_command(command)


_register()
