"""The ``careplan`` script (and ``python -m careplan``): no traceback ever, then a fast exit."""

from __future__ import annotations

import gc
import os
import sys

import click

from careplan.cli import cli
from careplan.formats import release_renderer


def main() -> None:
    """Run a command, then leave at once with its exit code.

    One command is a short-lived process: the cyclic garbage collector would only scan the
    same objects again and again (about a tenth of a cold render), so it is switched off;
    memory is returned when the process exits a moment later.
    """
    gc.disable()
    _exit(run())


def run(args: list[str] | None = None) -> int:
    """Run a command; print one line for any error, never a traceback; return the exit code."""
    try:
        code = cli.main(args, prog_name="careplan", standalone_mode=False)
    except click.ClickException as error:
        error.show()
        code = error.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        code = 130
    except OSError as error:
        click.echo(f"error: {error.strerror or type(error).__name__}", err=True)
        code = 1
    except Exception as error:
        click.echo(f"error: unexpected {type(error).__name__}; please report this", err=True)
        code = 1
    return code if isinstance(code, int) else 0


def _exit(code: int) -> None:
    """Flush, remove WeasyPrint's font folder, and leave without interpreter teardown.

    Teardown costs about 0.15 s of CPU and does nothing this process needs (measured in
    shared/reference/performance-2026-11.md); the font folder is the one thing it would clean.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 1
    release_renderer()
    os._exit(code)


if __name__ == "__main__":
    main()
