"""Warnings raised by NumPy, scikit-learn, SciPy or statsmodels during a diagnosis belong in the diagnosis.

A ``RuntimeWarning: overflow encountered`` or a ``ConvergenceWarning`` says
something about the data the user gave, so it is reported with the answer
(``Diagnosis.warnings``), once per distinct message, instead of leaking to
standard error between the progress bar and the result. Deprecation notices
(``DeprecationWarning``, ``FutureWarning``) are about how this package calls its
libraries, not about the data: they are dropped. Worker processes record theirs
and hand them to the parent's record, so the answer does not depend on ``--jobs``.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterator

#: Categories that speak about the package's own library use, not the user's data.
ABOUT_THE_CODE = (DeprecationWarning, PendingDeprecationWarning, FutureWarning, ImportWarning, ResourceWarning)

Record = tuple[str, str]  # (category name, message)

#: The records of the innermost ``captured_warnings`` block, where worker processes' warnings go.
_ACTIVE: ContextVar[list[Record] | None] = ContextVar("captured_warnings", default=None)


@contextmanager
def captured_warnings() -> Iterator[list[Record]]:
    """Record every warning raised inside the block (none reaches standard error)."""
    records: list[Record] = []
    token = _ACTIVE.set(records)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield records
        finally:
            _ACTIVE.reset(token)
            # a worker's re-issued records were appended as they arrived; these are this process's own
            records[:0] = [_record(w) for w in caught if not _about_the_code(w)]


def _about_the_code(w: warnings.WarningMessage) -> bool:
    return isinstance(w.category, type) and issubclass(w.category, ABOUT_THE_CODE)


def _record(w: warnings.WarningMessage) -> Record:
    category = w.category if isinstance(w.category, type) else type(w.message)
    return category.__name__, str(w.message).strip()


def diagnosis_messages(records: list[Record]) -> list[str]:
    """One line per distinct data-related warning, sorted: the same whichever process raised it first."""
    seen: dict[tuple[str, str], str] = {}
    for category, message in records:
        first_line = message.splitlines()[0] if message else ""
        seen.setdefault((category, first_line), f"{category}: {first_line}")
    return sorted(seen.values())


def call_recording_warnings(function: Callable[..., Any], args: tuple, kwargs: dict) -> tuple[Any, list[Record]]:
    """``function(*args, **kwargs)`` in a worker process, with the data warnings it raised (for the parent)."""
    with captured_warnings() as records:
        result = function(*args, **kwargs)
    return result, records


def reissue(records: list[Record]) -> None:
    """A worker's recorded warnings, added to the enclosing ``captured_warnings`` block (else shown)."""
    active = _ACTIVE.get()
    if active is not None:
        active.extend(records)
        return
    for category, message in records:
        warnings.warn(f"{category}: {message}", RuntimeWarning, stacklevel=2)
