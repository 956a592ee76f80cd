"""``careplan serve``: the local web page (wiring only; the work is in ``careplan.web``)."""

from __future__ import annotations

import gc
from pathlib import Path

import click


@click.command()
@click.option(
    "--clinic",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Clinic file: phone numbers, fever threshold, PRRT day counts.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; anything but loopback lets other computers reach the page.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port to listen on (0: a free port).",
)
@click.option("--no-browser", is_flag=True, help="Print the link; do not open a browser.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    help="Worker processes for a batch (default: one per core).",
)
@click.option(
    "--idle-minutes",
    type=click.FloatRange(min=0, min_open=True),
    default=30,
    show_default=True,
    help="Stop after this many minutes without a request.",
)
def serve(
    clinic: Path | None,
    host: str,
    port: int,
    no_browser: bool,
    jobs: int | None,
    idle_minutes: float,
) -> None:
    """Start a local web page for making handouts in a browser, without a terminal.

    It prints a link with a token that is new at every start: only a browser that opened that
    link can use the page. Handouts render in warm worker processes, and nothing is kept on
    disk after it stops.

    \b
    Example:
      careplan serve --clinic examples/clinic.yaml
    """
    from careplan.web.server import serve as run_server

    gc.enable()  # a long-running process; the command line switches the collector off
    run_server(
        clinic_path=clinic,
        host=host,
        port=port,
        open_browser=not no_browser,
        jobs=jobs,
        idle_minutes=idle_minutes,
    )
