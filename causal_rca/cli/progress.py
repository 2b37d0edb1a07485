"""A progress bar on standard error, for a person waiting at a terminal.

A diagnosis of ten million rows takes tens of seconds; a bar that names the
step (reading, counting, tests, attribution) tells the user it is working and
where the time goes. It is silent with ``--quiet`` and whenever standard error
is not a terminal (CI logs, pipes), and never touches standard output, which
holds the diagnosis.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

Say = Callable[[str], None]


def wanted(quiet: bool) -> bool:
    """Show progress only for a person at a terminal who did not ask for quiet."""
    return not quiet and sys.stderr.isatty()


@contextmanager
def progress_bar(quiet: bool, total: int) -> Iterator[Optional[Say]]:
    """A callback that marks the previous step done and names the next one, or ``None`` when silent."""
    if not wanted(quiet):
        yield None
        return
    columns = (SpinnerColumn(), TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("starting", total=total)
        started = [False]

        def say(step: str) -> None:
            bar.update(task, description=step, advance=1 if started[0] else 0)
            started[0] = True

        yield say
