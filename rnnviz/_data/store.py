"""Where the shipped data files live, how they are checked, and how they are packed.

Every file in ``data/`` is listed with its sha256 in ``data/SHA256SUMS``; a loader
asks :func:`path_of` for a file, which checks the digest once per process and
raises :class:`DataFileError` (naming the file and how to restore it) when the
file is missing or damaged.

Bundles (``*.npz`` would embed timestamps, so the project uses its own
format): one line of JSON metadata, then the arrays in ``.npy`` format one
after the other, the whole stream compressed with xz (``.xz``, smallest) or
zlib (``.zlib``, for the big IMDB file: several times faster to decompress).
The bytes depend only on the arrays and the metadata and the compressors run
with fixed settings, so ``scripts/build_data.py`` rebuilds them byte for byte
(with the same liblzma / zlib, whose output could change between releases).
"""
from __future__ import annotations

import hashlib
import io
import json
import lzma
import os
import zlib
from pathlib import Path

import numpy as np

ENV_VAR = "RNNVIZ_DATA"
SUMS_NAME = "SHA256SUMS"
# Fixed xz settings: the same bytes in give the same bytes out.
_XZ = dict(format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=9 | lzma.PRESET_EXTREME)

_verified: dict[tuple[str, int, int], bool] = {}


class DataFileError(OSError):
    """A shipped data file is missing, unlisted or does not match its sha256."""


class ChecksumListError(DataFileError, ValueError):
    """``SHA256SUMS`` has a line that is not ``<64 hex digits>  <file name>``."""


def data_dir() -> Path:
    """The folder holding the data files: ``$RNNVIZ_DATA`` if set, else the repo's ``data/``."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser().resolve()
    return Path(__file__).resolve().parents[2] / "data"   # rnnviz/_data/store.py -> repo/data


def _restore_hint(name: str) -> str:
    return (f"restore it with `git checkout -- data/{name}` in the rnnviz repository, or rebuild "
            f"all data files with `python scripts/build_data.py` (needs the original sources)")


def expected_sums(folder: Path) -> dict[str, str]:
    """Read ``SHA256SUMS`` in ``folder`` as {file name: hex digest}."""
    sums = folder / SUMS_NAME
    if not sums.is_file():
        raise DataFileError(f"the checksum list {sums} is missing; {_restore_hint(SUMS_NAME)}"
                            f" (or point ${ENV_VAR} at a folder holding the data files)")
    table = {}
    for number, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        digest = parts[0].lower()
        if len(parts) != 2 or len(digest) != 64 or any(ch not in "0123456789abcdef" for ch in digest):
            raise ChecksumListError(f"line {number} of {sums} is malformed: expected '<64 hex digits>  "
                                    f"<file name>' (sha256sum's format), got {line.strip()!r}; "
                                    f"{_restore_hint(SUMS_NAME)}")
        table[parts[1].strip().lstrip("*")] = digest
    return table


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def path_of(name: str) -> Path:
    """The verified path of data file ``name``; raises :class:`DataFileError` with a fix."""
    folder = data_dir()
    path = folder / name
    if not path.is_file():
        raise DataFileError(f"data file {path} is missing; {_restore_hint(name)}")
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key in _verified:
        return path
    table = expected_sums(folder)
    if name not in table:
        raise DataFileError(f"data file {name} is not listed in {folder / SUMS_NAME}; "
                            f"{_restore_hint(SUMS_NAME)}")
    got = sha256_of(path)
    if got != table[name]:
        raise DataFileError(f"data file {path} is corrupted: sha256 {got}, expected {table[name]}; "
                            f"{_restore_hint(name)}")
    _verified[key] = True
    return path


def verify() -> dict[str, int]:
    """Check every file listed in ``SHA256SUMS``: {file name: size in bytes}, sorted by name.

    Raises :class:`DataFileError` (saying which file and how to restore it) on the first
    missing or damaged file.
    """
    return {name: path_of(name).stat().st_size for name in sorted(expected_sums(data_dir()))}


def fingerprint(name: str) -> tuple[str, int, int]:
    """(path, size, mtime) of verified data file ``name``: a cache key that changes with the file."""
    stat = path_of(name).stat()
    return str(path_of(name)), stat.st_size, stat.st_mtime_ns


def compress(raw: bytes, codec: str = "xz") -> bytes:
    """Compress ``raw`` with the project's fixed settings (deterministic): ``"xz"`` or ``"zlib"``."""
    return lzma.compress(raw, **_XZ) if codec == "xz" else zlib.compress(raw, 9)


def read_xz(name: str) -> bytes:
    """The decompressed bytes of verified data file ``name`` (``.xz`` or ``.zlib``)."""
    blob = path_of(name).read_bytes()
    return zlib.decompress(blob) if name.endswith(".zlib") else lzma.decompress(blob)


def pack(meta: dict, arrays: dict[str, np.ndarray]) -> bytes:
    """Serialise metadata and named arrays into the bundle format (uncompressed bytes)."""
    buf = io.BytesIO()
    head = dict(meta, arrays=list(arrays))
    buf.write(json.dumps(head, sort_keys=True, ensure_ascii=False).encode("utf-8") + b"\n")
    for value in arrays.values():
        np.lib.format.write_array(buf, np.ascontiguousarray(value), allow_pickle=False)
    return buf.getvalue()


def unpack(raw: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """Inverse of :func:`pack`: (metadata, {name: array})."""
    buf = io.BytesIO(raw)
    meta = json.loads(buf.readline().decode("utf-8"))
    arrays = {n: np.lib.format.read_array(buf, allow_pickle=False) for n in meta.pop("arrays")}
    return meta, arrays


def load_bundle(name: str) -> tuple[dict, dict[str, np.ndarray]]:
    """Verify, decompress and unpack bundle ``name`` from the data folder."""
    return unpack(read_xz(name))


def load_json(name: str):
    """Verify, decompress and parse the xz-compressed JSON file ``name``."""
    return json.loads(read_xz(name).decode("utf-8"))
