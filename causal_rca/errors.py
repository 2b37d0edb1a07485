"""The one exception type that means "the user's input is wrong".

Everything a user can get wrong (graph, data, arguments) raises ``InputError``
with a message that names what to fix; the CLI turns it into one line on
standard error and exit status 2. Any other exception is a bug (exit 1);
``ToolFailed`` is one a helper program reported, shown in one line too.
"""


class InputError(Exception):
    """Bad input: a graph, a data table or an argument the engine cannot use."""


class ToolFailed(Exception):
    """A program we run (Graphviz) refused what we gave it: our bug, but its message is the one to report."""


def first_line(exc: Exception) -> str:
    """The first line of a foreign exception's message (its type when it has none), to quote in an ``InputError``."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
