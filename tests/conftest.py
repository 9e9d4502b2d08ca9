"""Shared test settings: deterministic, quiet, fast on 2 CPU cores."""
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _torch_defaults():
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    yield


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT
