"""Robustness report: every claim the notebooks assert, over seeds and CPU kernel variants.

    .venv/bin/python bench/robustness.py                      # all notebooks, seeds 0-4, native and default (README table)
    .venv/bin/python bench/robustness.py --notebooks 02 03 --seeds 0 1 --variants native default

Each run executes a course notebook itself, top to bottom, in a fresh kernel whose
environment selects another laptop's kernels (``ATEN_CPU_CAPABILITY``, ``MKL_CBWR``),
with the notebook's ``SEED = 0`` line set to another seed. Every ``claim(...)`` the
notebook makes is logged (see ``rnncourse/claims.py``); the report prints, per claim,
its bound, the spread of values seen, the worst value and its margin. A claim that
fails, or that a run never reached because a cell raised, fails the report: the
script then exits 1. The table also goes to ``bench/out/robustness.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from rnncourse.claims import LOG_VAR, margin  # noqa: E402

# A "variant" is a different laptop as torch sees it: other vector kernels, or MKL's
# conditional-numerical-reproducibility mode (what an AMD or older Intel CPU would run).
VARIANTS = {
    "native": {},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
    "default": {"ATEN_CPU_CAPABILITY": "default"},
    "mkl-compatible": {"MKL_CBWR": "COMPATIBLE"},
}
SEED_LINE = re.compile(r"^SEED = 0\b", re.M)


def with_seed(nb, seed: int):
    """The notebook with its ``SEED = 0`` line set to ``seed`` (there must be exactly one)."""
    hits = [c for c in nb.cells if c.cell_type == "code" and SEED_LINE.search(c.source)]
    if len(hits) != 1:
        raise ValueError(f"expected exactly one code cell with a `SEED = 0` line, found {len(hits)}")
    hits[0].source = SEED_LINE.sub(f"SEED = {seed}", hits[0].source)
    return nb


def makes_claims(path: Path) -> bool:
    """Whether a notebook's code calls ``claim(``: the tour (00) only names the function in its text."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return any(c["cell_type"] == "code" and "claim(" in "".join(c["source"]) for c in cells)


def worker(path: str, seed: int, out: str) -> None:
    """Execute one notebook with one seed (the environment already holds the variant)."""
    import nbformat
    from nbclient import NotebookClient

    nb = with_seed(nbformat.read(path, as_version=4), seed)
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(Path(path).parent)}})
    client.execute()
    errors = [f"cell {i}: {o.get('ename')}: {o.get('evalue', '')[:300]}"
              for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    Path(out).write_text(json.dumps({"seconds": time.perf_counter() - start, "errors": errors}))


def run_one(path: Path, seed: int, variant: str, folder: Path) -> dict:
    stem = f"{path.stem[:2]}-s{seed}-{variant}"
    log, result = folder / f"{stem}.claims.jsonl", folder / f"{stem}.json"
    env = {**os.environ, **VARIANTS[variant], LOG_VAR: str(log), "PYTHONHASHSEED": "0"}
    proc = subprocess.run([sys.executable, __file__, "--worker", str(path), str(seed), str(result)],
                          env=env, capture_output=True, text=True)
    if proc.returncode or not result.exists():
        info = {"seconds": float("nan"), "errors": [f"runner failed: {proc.stderr[-500:]}"]}
    else:
        info = json.loads(result.read_text())
    claims = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    info.update(notebook=path.stem[:2], seed=seed, variant=variant, claims=claims)
    done = "ok" if not info["errors"] and all(c["ok"] for c in claims) else "FAILED"
    print(f"  {stem}: {len(claims)} claims, {info['seconds']:.0f} s, {done}", flush=True)
    return info


def report(runs: list[dict]) -> tuple[str, bool]:
    """Markdown table (one row per claim) and whether everything held everywhere."""
    by_claim = defaultdict(list)
    expected = defaultdict(set)
    all_ok = True
    for run in runs:
        expected[run["notebook"]].add((run["seed"], run["variant"]))
        for c in run["claims"]:
            by_claim[(run["notebook"], c["claim"], c["op"], c["bound"])].append(c["value"])
        if run["errors"]:
            all_ok = False
    rows = ["| notebook | claim | bound | values seen (min - max) | worst | margin | runs |",
            "|---|---|---|---|---|---|---|"]
    for (nb, text, op, bound), values in sorted(by_claim.items(), key=lambda kv: kv[0][:2]):
        worst = min(values) if op in (">=", ">") else max(values)
        m = margin(worst, op, bound)
        reached = len(values)
        runs_wanted = len(expected[nb])
        ok = m >= 0 if op in (">=", "<=") else m > 0
        ok = ok and reached == runs_wanted
        all_ok &= ok
        flag = "" if ok else " **FAILED**"
        cell = text.replace("|", "\\|")                        # a | inside a claim would split the markdown cell
        rows.append(f"| {nb} | {cell} | {op} {bound:.4g} | {min(values):.4g} - {max(values):.4g} | "
                    f"{worst:.4g} | {m:+.0%}{flag} | {reached}/{runs_wanted} |")
    errors = [f"- {r['notebook']} seed {r['seed']} {r['variant']}: {e}" for r in runs for e in r["errors"]]
    text = "\n".join(rows)
    if errors:
        text += "\n\nErrors:\n" + "\n".join(errors)
    return text, all_ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", nargs=3, metavar=("NOTEBOOK", "SEED", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--notebooks", nargs="*", default=None, help="two-digit prefixes (default: all)")
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--variants", nargs="*", default=["native", "default"],
                        choices=sorted(VARIANTS))
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once (each uses one torch thread)")
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), args.worker[2])
        return 0
    paths = [p for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) if makes_claims(p)]
    if args.notebooks:
        paths = [p for p in paths if p.name[:2] in args.notebooks]
    jobs = [(p, s, v) for p in paths for s in args.seeds for v in args.variants]
    print(f"robustness: {len(paths)} notebooks x {len(args.seeds)} seeds x {len(args.variants)} variants "
          f"= {len(jobs)} runs, {args.jobs} at a time", flush=True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(args.jobs) as pool:
        runs = list(pool.map(lambda job: run_one(*job, Path(tmp)), jobs))
    table, ok = report(runs)
    minutes = (time.perf_counter() - start) / 60
    header = (f"Seeds {args.seeds}, variants {args.variants}, {len(jobs)} notebook runs in {minutes:.0f} min; "
              f"margin: room to the bound relative to the bound (worst run).\n\n")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "robustness.md").write_text(header + table + "\n")
    print(header + table)
    print("\nall claims held in every run" if ok else "\nSOME CLAIMS FAILED (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
