"""Shared test settings: deterministic, quiet, fast on 2 CPU cores."""
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _torch_defaults():
    """Every test: seeded, no denormal slowdowns, and one torch thread (the tensors are
    small, and one thread is faster and steadier on a shared 2-core CI machine);
    the thread count is restored afterwards."""
    threads = torch.get_num_threads()
    torch.set_flush_denormal(True)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


def encode(text: str):
    """Characters -> one-hot (T, 26) and the characters as tokens."""
    ids = torch.tensor([ord(c) - ord("a") for c in text])
    return torch.nn.functional.one_hot(ids, 26).float(), list(text)
