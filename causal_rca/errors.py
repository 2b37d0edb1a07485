"""The exception types that mean "the user's input is wrong".

Everything a user can get wrong (graph, data, arguments) raises ``InputError``
with a message that names what to fix; the CLI turns it into one line on
standard error and exit status 2. Any other exception is a bug (exit 1);
``ToolFailed`` is one a helper program reported, shown in one line too.

A wrong argument of a public call raises ``ParameterError``, whose message
names the parameter in the caller's language: ``split=`` to a Python caller,
``--split`` on the command line (``as_flags``).
"""

from __future__ import annotations

import re
from typing import Mapping

__all__ = ["InputError", "ParameterError", "ToolFailed", "first_line"]

# ``{name}`` or ``{name=VALUE}``: a parameter (with the value it takes) in a ParameterError's template.
_PARAMETER = re.compile(r"\{([a-z][a-z0-9_]*)(?:=([^{}]*))?\}")
_BARE_WORD = re.compile(r"'([\w.:+-]+)'")


class InputError(ValueError):
    """Bad input: a graph, a data table or an argument the engine cannot use.

    A ``ValueError``, so code that guards a call with ``except ValueError`` catches it too.

    Examples
    --------
    >>> from causal_rca import InputError, load_graph
    >>> try:
    ...     load_graph("no-such-graph.yaml")
    ... except InputError as exc:
    ...     print(exc)
    no-such-graph.yaml: lineage graph file not found
    """


class ParameterError(InputError):
    """A wrong argument of a public call; the message names the parameter as the caller writes it.

    The message is a template: ``{split}`` stands for the parameter and
    ``{split=VALUE}`` for the parameter given a value. ``str()`` reads
    ``split=`` / ``split=VALUE`` (Python); ``as_flags()`` reads ``--split`` /
    ``--split VALUE`` (the command line, where ``{trust_model=True}`` is the bare
    ``--trust-model``).

    Parameters
    ----------
    template : str
        The message with its parameters in braces.

    Examples
    --------
    >>> exc = ParameterError("{data} needs {split=TIMESTAMP} (or {split='auto'})")
    >>> str(exc)
    "data= needs split=TIMESTAMP (or split='auto')"
    >>> exc.as_flags()
    '--data needs --split TIMESTAMP (or --split auto)'
    """

    def __init__(self, template: str) -> None:
        self.template = template
        self.parameters = tuple(dict.fromkeys(m.group(1) for m in _PARAMETER.finditer(template)))
        super().__init__(_PARAMETER.sub(lambda m: f"{m.group(1)}={m.group(2) or ''}", template))

    def as_flags(self, flags: Mapping[str, str] | None = None) -> str:
        """The message with each parameter as its command-line flag.

        ``flags`` maps a parameter to its flag where that is not ``--`` and the
        parameter's name with dashes.
        """
        def flag(m: re.Match) -> str:
            name, value = m.group(1), m.group(2)
            option = (flags or {}).get(name, "--" + name.replace("_", "-"))
            if value is None or value == "True":
                return option
            bare = _BARE_WORD.fullmatch(value)  # a quoted word needs no quotes in a shell
            return f"{option} {bare.group(1) if bare else value}"

        return _PARAMETER.sub(flag, self.template)


class ToolFailed(Exception):
    """A program we run (Graphviz) refused what we gave it: our bug, but its message is the one to report."""


def first_line(exc: Exception) -> str:
    """The first line of a foreign exception's message (its type when it has none), to quote in an ``InputError``."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
