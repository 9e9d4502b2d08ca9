"""Run and store the course notebooks the way the repository keeps them.

    python scripts/notebooks.py run notebooks/01_what_is_an_rnn.ipynb [...]
        execute top to bottom (2 threads, like a student laptop), print the wall
        time, then store the notebook stripped (see below)
    python scripts/notebooks.py strip notebooks/*.ipynb
        keep only the outputs of cells whose first line is ``# NBVAL_CHECK_OUTPUT``
        (nbval compares those in CI) and drop widget state, so files stay small

Stored notebooks must stay under 200 KB (tests/test_notebook_rules.py checks it).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat

CHECK = "# NBVAL_CHECK_OUTPUT"


def strip(nb) -> None:
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        if cell.source.lstrip().startswith(CHECK):
            continue
        cell.outputs = []
        cell.execution_count = None
    nb.metadata.pop("widgets", None)


def run(path: Path, timeout: int = 600) -> float:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    env_before = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = "2"
    try:
        start = time.perf_counter()
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        seconds = time.perf_counter() - start
    finally:
        if env_before is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = env_before
    strip(nb)
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["run", "strip"])
    parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for path in args.paths:
        if args.command == "run":
            seconds = run(path)
            print(f"{path.name}: ran in {seconds:.1f} s, stored {path.stat().st_size / 1024:.0f} KB")
        else:
            nb = nbformat.read(path, as_version=4)
            strip(nb)
            nbformat.write(nb, path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
