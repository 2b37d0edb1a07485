"""The public names: listed in ``causal_rca.__all__``, shown by ``dir()``, documented, their examples run.

Each public name has a numpydoc docstring with an Examples section, and every
example runs here as a doctest. The examples of a class's methods continue
its own example (one namespace per public name), as a reader goes down the page:
``Diagnosis.to_frame`` uses the ``d`` its class example diagnosed.
"""

from __future__ import annotations

import doctest
import inspect
import subprocess
import sys

import pytest

import causal_rca

PUBLIC = [n for n in causal_rca.__all__ if n != "__version__"]
# numpydoc checks that must hold: a docstring, a summary, an Examples section, every parameter of a
# function documented and none documented that it does not have. (Dataclasses document their fields
# under Attributes, so the parameter checks apply to functions only.)
CHECKS = {"GL08", "SS01", "EX01"}
FUNCTION_CHECKS = {"PR01", "PR02"}


def test_dir_lists_the_public_names_before_they_are_imported() -> None:
    code = ("import sys, causal_rca\nnames = dir(causal_rca)\n"
            "heavy = [m for m in ('pandas', 'dowhy', 'sklearn', 'ibis', 'duckdb') if m in sys.modules]\n"
            "print(','.join(names)); print(','.join(heavy))")
    names, heavy = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True).stdout.splitlines()
    assert names.split(",") == sorted(causal_rca.__all__)
    assert heavy == "", f"import causal_rca loaded {heavy}"


def test_version_is_the_package_version() -> None:
    done = subprocess.run([sys.executable, "-m", "causal_rca", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == f"causal-rca {causal_rca.__version__}\n"


def test_input_errors_are_value_errors() -> None:
    assert issubclass(causal_rca.InputError, ValueError) and issubclass(causal_rca.ParameterError,
                                                                        causal_rca.InputError)


@pytest.mark.parametrize("name", PUBLIC)
def test_public_name_has_a_numpydoc_docstring_with_an_example(name: str) -> None:
    from numpydoc.validate import validate

    obj = getattr(causal_rca, name)
    checks = CHECKS | (FUNCTION_CHECKS if inspect.isfunction(obj) else set())
    found = [f"{code}: {message}" for code, message in validate(f"{obj.__module__}.{obj.__qualname__}")["errors"]
             if code in checks]
    assert not found, found


@pytest.mark.parametrize("name", PUBLIC)
def test_examples_run(name: str, monkeypatch) -> None:
    obj = getattr(causal_rca, name)
    monkeypatch.chdir(causal_rca.__path__[0] + "/..")
    module = sys.modules[obj.__module__]
    tests = sorted(doctest.DocTestFinder().find(obj, name, module=module), key=lambda t: t.name)
    assert any(t.examples for t in tests), f"{name} has no example"
    namespace = dict(module.__dict__)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in tests:
        test.globs = namespace  # the class's example first (sorted by name), its methods' after
        runner.run(test, clear_globs=False)
    assert runner.failures == 0, f"{runner.failures} failing example(s) in {name}: see the output above"


def test_the_user_guide_examples_run(monkeypatch) -> None:
    from pathlib import Path

    root = Path(causal_rca.__path__[0]).parent
    monkeypatch.chdir(root)
    failed, attempted = doctest.testfile(str(root / "docs" / "user-guide.md"), module_relative=False,
                                         optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert attempted > 0 and failed == 0
