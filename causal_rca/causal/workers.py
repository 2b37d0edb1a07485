"""Worker processes for the causal step: how many, and running independent calls on them.

Mechanism tests and attribution fits are independent, single-threaded model
fits, so where they run changes nothing in the answer; only start-up cost
decides whether processes pay. Each worker imports the scientific stack (about
3 s on two busy cores): measured break-even near 60–80 tasks, hence
``PARALLEL_FROM``.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterable

PARALLEL_FROM = 96


def worker_count(tasks: int, jobs: int | None) -> int:
    """``jobs`` when given, else all cores (at most four) once there are ``PARALLEL_FROM`` tasks, one below.

    ``jobs`` below 1 is refused at the public call (``arguments.check_diagnose_arguments``), not read as 1.
    A given ``jobs`` is capped at the tasks and the cores: the fits are single-threaded, so a process
    more than either only costs its start-up (``--jobs 100000`` started 100,000 processes).
    """
    if jobs is not None:
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1, not {jobs}")
        return max(1, min(int(jobs), tasks, os.cpu_count() or 1))
    return min(4, os.cpu_count() or 1) if tasks >= PARALLEL_FROM else 1


def run_calls(function: Callable[..., Any], calls: Iterable[tuple[tuple, dict]], workers: int) -> list[Any]:
    """``function(*args, **kwargs)`` for each call, in order, on ``workers`` processes (here when one).

    ``calls`` may be a generator: joblib draws a few calls ahead, so only those
    calls' arguments (copies of their columns) exist at once.
    """
    if workers <= 1:
        return [function(*args, **kwargs) for args, kwargs in calls]
    from joblib import Parallel, delayed

    from causal_rca.library_warnings import call_recording_warnings, reissue

    done = Parallel(n_jobs=workers, backend="loky")(delayed(call_recording_warnings)(function, args, kwargs)
                                                    for args, kwargs in calls)
    for _result, records in done:
        reissue(records)
    return [result for result, _records in done]
