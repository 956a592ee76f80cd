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
from careplan.options import PAPERS, PDF_VARIANTS, RenderOptions, handout_date

F = TypeVar("F", bound=Callable[..., Any])

NO_CLINIC_WARNING = (
    "NO CLINIC FILE (--clinic): every phone number, the fever threshold and the PRRT day "
    "counts will print as BLANK LINES. Fill them in by hand, or rerun with "
    "--clinic clinic.yaml."
)


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


def render_options(func: F) -> F:
    """Add the options ``render`` and ``batch`` share; pass them on as ``options``."""

    @wraps(func)
    def wrapper(
        *args: Any,
        paper: str,
        large_print: bool,
        pdf_variant: str,
        printed_date: dt.datetime | None,
        **kwargs: Any,
    ) -> Any:
        date = handout_date(printed_date.date() if printed_date else None)
        options = RenderOptions(date, paper.lower(), large_print, pdf_variant)
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
                "--force",
                is_flag=True,
                help="Replace an existing file careplan did not make, or made for another id.",
            ),
        ]
    ):
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]  # click's decorators return the same callable
