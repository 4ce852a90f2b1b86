"""`python:module:factory` specs: a user's own code builds the model genlens works on."""

from __future__ import annotations

import importlib

from genlens.errors import GenlensError


def call_factory(spec: str, what: str):
    """What factory() of `python:module:factory` returns; a one-line error if it cannot be called."""
    parts = spec.split(":")
    if len(parts) != 3 or parts[0] != "python" or not all(parts[1:]):
        raise GenlensError(f"a python {what} spec reads python:module:factory, got '{spec}'")
    _, module_name, factory_name = parts
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise GenlensError(f"cannot import {what} module '{module_name}': {e}") from None
    factory = getattr(module, factory_name, None)
    if not callable(factory):
        raise GenlensError(f"module '{module_name}' has no callable '{factory_name}'")
    return factory()
