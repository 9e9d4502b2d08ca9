"""Build the course's compact data files in data/ from the original public sources.

    python scripts/build_data.py [SOURCES] [--out DIR] [--only GROUP ...]

SOURCES defaults to ../shared/sources relative to the repository root; DIR
defaults to data/; GROUP is among imdb, shakespeare, ud, text, series. Every
output is deterministic (sorted, fixed xz/zlib settings, no timestamps), so a rebuild gives the same bytes and the same SHA256SUMS. The
sources' own checksums (SOURCES/SHA256SUMS) are checked first. The full build
takes about 70 s on a busy 2-core machine, almost all of it tokenizing and
compressing IMDB; the other groups take a few seconds.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import lzma
import sys
import time
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from rnnviz._data.store import SUMS_NAME, compress, pack, sha256_of  # noqa: E402
from rnnviz._data.vocab import rank_tokens, tokenize  # noqa: E402

IMDB_WORDS = 10_000       # vocabulary: the most frequent train words
IMDB_SAMPLE = 20          # raw reviews kept for the integer-encoding lesson
UD_TEST_EVERY = 5         # every 5th pooled UD sentence goes to the course test split
UPOS = ["ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART",
        "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X"]
SHAKESPEARE_MD5 = "6fb458f1232090904fb40fe944165e91"


def _json_bytes(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _xz_text(path: Path) -> str:
    return lzma.decompress(path.read_bytes()).decode("utf-8")


def build_imdb(src: Path) -> dict[str, bytes]:
    """imdb.arrays.zlib (every review's full token ids) and imdb_vocab.json.xz (words + raw sample).

    The uint16 ids are stored as two byte planes (low bytes, then high bytes):
    zlib compresses that better, and zlib decompresses several times faster than xz.
    """
    csv.field_size_limit(1 << 30)
    rows = list(csv.reader(io.StringIO(_xz_text(src / "imdb_reviews.tsv.xz")), delimiter="\t"))
    if rows[0] != ["split", "label", "id", "rating", "text"]:
        raise ValueError(f"unexpected IMDB header {rows[0]}")
    rows = rows[1:]
    tokens = [tokenize(r[4]) for r in tqdm(rows, desc="tokenizing IMDB", unit="review")]
    words = rank_tokens(t for t, r in zip(tokens, rows) if r[0] == "train")[:IMDB_WORDS]
    index = {w: i + 2 for i, w in enumerate(words)}
    flat = np.array([index.get(w, 1) for t in tokens for w in t], dtype=np.uint16)
    lengths = np.array([len(t) for t in tokens], dtype=np.int32)
    planes = np.stack([flat & 0xFF, flat >> 8]).astype(np.uint8)            # (2, sum of lengths)
    arrays = {
        "id_planes": planes,                                                 # ids = lo | hi << 8
        "lengths": lengths,                                                  # (N,)
        "label": np.array([r[1] == "pos" for r in rows], dtype=np.uint8),    # (N,)
        "test": np.array([r[0] == "test" for r in rows], dtype=np.uint8),    # (N,)
        "rating": np.array([int(r[3]) for r in rows], dtype=np.uint8),       # (N,)
        "review_id": np.array([int(r[2]) for r in rows], dtype=np.int32),    # (N,)
    }
    meta = {"labels": ["neg", "pos"], "words": IMDB_WORDS, "tokenizer": "rnnviz.data.tokenize"}
    # Raw sample: the first IMDB_SAMPLE // 2 test reviews of each label (source order).
    sample = []
    for label in ("neg", "pos"):
        picked = [r for r in rows if r[0] == "test" and r[1] == label][: IMDB_SAMPLE // 2]
        sample += [{"id": int(r[2]), "label": label, "rating": int(r[3]), "text": r[4]} for r in picked]
    vocab = {"words": words, "sample": sample}
    return {"imdb.arrays.zlib": compress(pack(meta, arrays), "zlib"),
            "imdb_vocab.json.xz": compress(_json_bytes(vocab))}


def build_shakespeare(src: Path) -> dict[str, bytes]:
    text = _xz_text(src / "tinyshakespeare.txt.xz")
    if hashlib.md5(text.encode("utf-8")).hexdigest() != SHAKESPEARE_MD5:
        raise ValueError("tinyshakespeare text does not match its documented md5")
    return {"tinyshakespeare.txt.xz": compress(text.encode("utf-8"))}


def _conllu_sentences(text: str) -> list[tuple[list[str], list[str]]]:
    sentences, words, tags = [], [], []
    for line in text.splitlines() + [""]:
        if not line.strip():
            if words:
                sentences.append((words, tags))
            words, tags = [], []
        elif not line.startswith("#"):
            cols = line.split("\t")
            if cols[0].isdigit():   # skip multiword ranges "1-2" and empty nodes "8.1"
                words.append(cols[1])
                tags.append(cols[3])
    return sentences


def build_ud(src: Path) -> dict[str, bytes]:
    """ud_pos.json.xz: dev + test pooled in order; every 5th sentence is the course test split."""
    pooled = (_conllu_sentences(_xz_text(src / "ud_en_ewt_dev.conllu.xz"))
              + _conllu_sentences(_xz_text(src / "ud_en_ewt_test.conllu.xz")))
    bad = {t for _, tags in pooled for t in tags} - set(UPOS)
    if bad:
        raise ValueError(f"unexpected UPOS tags {sorted(bad)}")
    split = {"train": [], "test": []}
    for i, (words, tags) in enumerate(pooled):
        split["test" if i % UD_TEST_EVERY == UD_TEST_EVERY - 1 else "train"].append(
            {"words": words, "tags": tags})
    words = rank_tokens(s["words"] for s in split["train"])
    return {"ud_pos.json.xz": compress(_json_bytes({"upos": UPOS, "words": words, **split}))}


def build_pairs_and_polarity(src: Path) -> dict[str, bytes]:
    pairs = []
    for line in _xz_text(src / "tatoeba_eng_fra.txt.xz").splitlines():
        eng, fra, attribution = line.split("\t")
        pairs.append([eng, fra, attribution])
    with zipfile.ZipFile(src / "sentence_polarity.zip") as z:
        polarity = {label: [s.strip() for s in z.read(f"sentence_polarity/rt-polarity.{label}")
                            .decode("utf-8").splitlines() if s.strip()]
                    for label in ("neg", "pos")}
    return {"tatoeba_eng_fra.json.xz": compress(_json_bytes({"pairs": pairs})),
            "sentence_polarity.json.xz": compress(_json_bytes(polarity))}


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def build_series(src: Path) -> dict[str, bytes]:
    """Beijing PM2.5, Seattle hourly temperature and daily weather, Zurich sunspots."""
    out = {}
    rows = _csv_rows(_xz_text(src / "beijing_pm25_hourly.csv.xz"))
    head, rows = rows[0], rows[1:]
    cols = ["pm2.5", "DEWP", "TEMP", "PRES", "Iws", "Is", "Ir"]
    at = [head.index(c) for c in cols]
    winds = sorted({r[head.index("cbwd")] for r in rows})
    values = np.array([[np.nan if r[i] == "NA" else float(r[i]) for i in at] for r in rows],
                      dtype=np.float32)                                               # (T, 7)
    stamp = np.array([[int(r[head.index(c)]) for c in ("year", "month", "day", "hour")]
                      for r in rows], dtype=np.int16)                                 # (T, 4)
    wind = np.array([winds.index(r[head.index("cbwd")]) for r in rows], dtype=np.uint8)  # (T,)
    out["beijing_pm25.arrays.xz"] = compress(pack(
        {"columns": cols, "wind_directions": winds}, {"values": values, "time": stamp, "wind": wind}))

    rows = _csv_rows((src / "seattle-temps.csv").read_text(encoding="utf-8"))[1:]
    epoch = datetime(2010, 1, 1)
    hours = np.array([(datetime.strptime(d, "%Y/%m/%d %H:%M") - epoch).total_seconds() // 3600
                      for d, _ in rows], dtype=np.int32)                              # (T,)
    temps = np.array([float(t) for _, t in rows], dtype=np.float32)                   # (T,)
    out["seattle_temps.arrays.xz"] = compress(pack(
        {"start": "2010-01-01 00:00", "unit": "degF"}, {"hours": hours, "temp": temps}))

    rows = _csv_rows((src / "seattle-weather.csv").read_text(encoding="utf-8"))
    head, rows = rows[0], rows[1:]
    kinds = sorted({r[5] for r in rows})
    epoch = datetime(2012, 1, 1)
    days = np.array([(datetime.strptime(r[0], "%Y/%m/%d") - epoch).days for r in rows], dtype=np.int32)
    daily = np.array([[float(x) for x in r[1:5]] for r in rows], dtype=np.float32)   # (T, 4)
    kind = np.array([kinds.index(r[5]) for r in rows], dtype=np.uint8)               # (T,)
    out["seattle_weather.arrays.xz"] = compress(pack(
        {"start": "2012-01-01", "columns": head[1:5], "kinds": kinds},
        {"days": days, "values": daily, "kind": kind}))

    rows = _csv_rows((src / "zurich_monthly_sunspots.csv").read_text(encoding="utf-8"))[1:]
    months = np.array([int(m[:4]) * 12 + int(m[5:7]) - 1 for m, _ in rows], dtype=np.int32)
    spots = np.array([float(v) for _, v in rows], dtype=np.float32)
    out["sunspots.arrays.xz"] = compress(pack(
        {"month": "year * 12 + month - 1"}, {"month": months, "sunspots": spots}))
    return out


BUILDERS = {"imdb": build_imdb, "shakespeare": build_shakespeare, "ud": build_ud,
            "text": build_pairs_and_polarity, "series": build_series}


def check_sources(src: Path) -> None:
    """Verify the sources against their SHA256SUMS before using them."""
    for line in (src / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        if sha256_of(src / name) != digest:
            raise ValueError(f"source {src / name} does not match its sha256 in {src / 'SHA256SUMS'}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sources", nargs="?", default=str(REPO.parent / "shared" / "sources"))
    ap.add_argument("--out", default=str(REPO / "data"))
    ap.add_argument("--only", nargs="+", choices=sorted(BUILDERS), help="build only these groups")
    args = ap.parse_args(argv)
    src, out = Path(args.sources), Path(args.out)
    check_sources(src)
    out.mkdir(parents=True, exist_ok=True)
    for group in args.only or BUILDERS:
        start = time.perf_counter()
        for name, blob in BUILDERS[group](src).items():
            (out / name).write_bytes(blob)
            print(f"{name:28s} {len(blob) / 1e6:7.3f} MB  ({time.perf_counter() - start:.1f} s)")
    sums = {p.name: sha256_of(p) for p in sorted(out.iterdir())
            if p.is_file() and p.name.endswith((".xz", ".zlib"))}
    (out / SUMS_NAME).write_text("".join(f"{d}  {n}\n" for n, d in sorted(sums.items())))
    print(f"wrote {out / SUMS_NAME} ({len(sums)} files)")


if __name__ == "__main__":
    main()
