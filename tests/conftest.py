"""Shared pytest setup.

mytorch silences NumPy's floating-point RuntimeWarnings raised by its own code (PyTorch reports inf and nan only
through the results) with a warning filter installed when `mytorch` is imported. pytest discards filters installed
while it imports test modules, so this fixture puts the same filter back for every test, as a user's program has it.
tests/test_semantics_edges.py checks what a user sees in a fresh interpreter, without this fixture."""
import warnings

import pytest


@pytest.fixture(autouse=True)
def _mytorch_warning_filter():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*encountered in", category=RuntimeWarning,
                                module=r"mytorch(\.|$)")
        yield
