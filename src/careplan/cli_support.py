"""What the ``careplan`` commands share: error translation, warnings and render options.

Exit codes: 0 success; 1 invalid input, a failed render or an output careplan will not
replace (one line per problem on stderr, never a traceback); 2 usage errors (including an
output that is also an input); 130 Ctrl-C; 143 SIGTERM.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from careplan.errors import CareplanError, Problem, capped
from careplan.model import Profile
from careplan.options import COPIES, PAPERS, PDF_VARIANTS, RenderOptions, handout_date

F = TypeVar("F", bound=Callable[..., Any])


class CommandError(click.ClickException):
    """A CareplanError on its way out: one ``error:`` line per problem, its exit code."""

    def __init__(self, error: CareplanError) -> None:
        super().__init__(str(error))
        self.error = error

    @classmethod
    def of(cls, error: CareplanError) -> CommandError:
        """Return the CommandError (exit 1) or CommandUsageError (exit 2) for ``error``."""
        return CommandUsageError(error) if error.exit_code == 2 else cls(error)

    def show(self, file: Any = None) -> None:
        """Print each problem on its own line on stderr."""
        for problem in capped(self.error.problems):
            click.echo(f"error: {problem}", err=True)


class CommandUsageError(CommandError):
    """A CareplanError that is a usage error (an output that is also an input): exit 2."""

    exit_code = 2


class CareplanGroup(click.Group):
    """The command group: turns every CareplanError into a CommandError."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, translating careplan's errors."""
        try:
            return super().invoke(ctx)
        except CareplanError as error:
            raise CommandError.of(error) from None


def warn(problems: Iterable[Problem | str]) -> None:
    """Print warnings for the nurse on stderr (never in the handout), 20 per source at most."""
    problems = list(problems)
    shown: list[Problem | str] = [p for p in problems if isinstance(p, str)]
    shown += capped(p for p in problems if isinstance(p, Problem))
    for problem in shown:
        click.echo(f"warning: {problem}", err=True)


def errors(problems: Iterable[Problem]) -> None:
    """Print errors on stderr, 20 per source at most."""
    for problem in capped(problems):
        click.echo(f"error: {problem}", err=True)


def _language(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Resolve --language through the vocabulary's language names (español, es_us, ...)."""
    if value is None:
        return None
    from careplan.vocab import load_vocabulary

    field = load_vocabulary().fields["language"]
    try:
        return field.resolve(value)
    except ValueError:  # unknown, or ambiguous
        raise click.BadParameter(f"allowed: {', '.join(field.ids)}") from None


def render_options(func: F) -> F:
    """Add the options ``render`` and ``batch`` share; pass them on as ``options``."""

    @wraps(func)
    def wrapper(
        *args: Any,
        paper: str,
        large_print: bool,
        pdf_variant: str,
        printed_date: dt.datetime | None,
        allow_pending: bool,
        copy: str,
        language: str | None,
        chart_copy: bool,
        **kwargs: Any,
    ) -> Any:
        date = handout_date(printed_date.date() if printed_date else None)
        if copy.lower() == "clinician" and language not in (None, "en"):
            raise click.UsageError(
                "the clinician's copy is in English; for a handout in another language, "
                "use --chart-copy for its English copy",
            )
        if chart_copy and language == "en":
            raise click.UsageError(
                "--chart-copy writes the English copy of a handout in another language, "
                "not of an English one"
            )
        options = RenderOptions(
            date,
            paper.lower(),
            large_print,
            pdf_variant,
            allow_pending,
            copy.lower(),
            language,
            chart_copy,
        )
        return func(*args, options=options, **kwargs)

    choice = click.Choice
    for option in reversed(
        [
            click.option(
                "--clinic",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Clinic file: phone numbers, fever threshold, PRRT day counts.",
            ),
            click.option(
                "--paper",
                type=choice(PAPERS, case_sensitive=False),
                default="letter",
                show_default=True,
                help="Paper size.",
            ),
            click.option(
                "--copy",
                type=choice(COPIES, case_sensitive=False),
                default="patient",
                show_default=True,
                help="The patient's copy, or the clinician's (sources, reasons, review status).",
            ),
            click.option(
                "--language",
                callback=_language,
                metavar="en|es",
                help="Print in this language, whatever the profiles say (also: spanish, es_us).",
            ),
            click.option(
                "--chart-copy",
                is_flag=True,
                help="Also write <stem>.chart-en.pdf: the English copy of a handout in another "
                "language, for the chart.",
            ),
            click.option(
                "--large-print",
                is_flag=True,
                help="Large print: 18 pt and up, one column (also the profile's field).",
            ),
            click.option(
                "--pdf-variant",
                type=choice(PDF_VARIANTS),
                default="pdf/ua-1",
                show_default=True,
                help="PDF variant (pdf/ua-1 is tagged for accessibility).",
            ),
            click.option(
                "--date",
                "printed_date",
                type=click.DateTime(["%Y-%m-%d"]),
                help="Date printed on the handout, YYYY-MM-DD (default: today).",
            ),
            click.option(
                "--allow-pending",
                is_flag=True,
                help="Also print content still pending clinical review (the nurse is warned).",
            ),
            click.option(
                "--force",
                is_flag=True,
                help="Replace an existing file careplan did not make, or made for another id.",
            ),
        ]
    ):
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]  # click's decorators return the same callable


def render_outputs(
    profile: Profile,
    source: str,
    output: Path | None,
    suffix: str,
    options: RenderOptions,
) -> list[Path]:
    """Name what ``render`` writes: the handout, and with ``--chart-copy`` its English copy
    beside it (``<stem>.chart-en.pdf``); exit 2 when a chart copy makes no sense."""
    from careplan.output import CHART_SUFFIX, copy_suffix, handout_name

    path = output or Path.cwd() / handout_name(profile.id, source, copy_suffix(suffix, options))
    if not options.chart_copy:
        return [path]
    if (options.language or profile.language) == "en":
        raise click.UsageError(
            "--chart-copy writes the English copy of a handout in another language; "
            "this handout is in English (see --language)"
        )
    if str(path) == "-":
        raise click.UsageError("--chart-copy writes a second file; give -o a file name")
    stem = path.name[: -len(suffix)] if path.name.endswith(suffix) else path.stem
    return [path, path.with_name(f"{stem}{CHART_SUFFIX}{suffix}")]
