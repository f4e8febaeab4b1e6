"""The built-in scenario: the publicly reported arrangements and a synthetic population."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def arrangements_path() -> Path:
    """The reported arrangements shipped with the package, as an agreements YAML file."""
    return Path(str(files("accord.scenarios").joinpath("arrangements.yaml")))


def workflow_agreement_path() -> Path:
    """The synthetic Kosovo-style agreement with a complete instrument, for the workflow demo."""
    return Path(str(files("accord.scenarios").joinpath("workflow_year.yaml")))
