"""Content-addressed files written atomically, and the lock that keeps one build per folder.

Every file is written under a hidden temporary name in its final folder, flushed to disk and
renamed into place, so a reader (or a build killed midway) never sees a truncated file under a
final name. File names are content hashes: a file, once written, never changes.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

HASH_LENGTH = 24  # hex digits of sha256: 96 bits
LOCK_NAME = ".build.lock"
TEMPORARY_SUFFIX = ".tmp"


class StoreError(RuntimeError):
    """The audio folder cannot be used (e.g. another build holds it)."""


def content_hash(payload: object) -> str:
    """A short, stable sha256 of JSON-able `payload` (keys sorted, no whitespace)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def temporary_path(path: Path) -> Path:
    """A hidden, unique name beside `path` for writing it before it is renamed into place."""
    return path.with_name(f".{path.name}.{secrets.token_hex(6)}{TEMPORARY_SUFFIX}")


def _fsync_file(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_atomically(path: Path, produce: Callable[[Path], None]) -> None:
    """Have `produce` write a temporary file, then sync it and rename it to `path`.

    `produce` may also check the file and raise: nothing then appears under `path`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_path(path)
    try:
        produce(temporary)
        _fsync_file(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically."""

    def produce(temporary: Path) -> None:
        with temporary.open("xb") as file:
            file.write(data)

    write_atomically(path, produce)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write `data` atomically unless `path` already holds exactly it; whether it wrote."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_bytes_atomically(path, data)
    return True


def remove_temporaries(directory: Path) -> int:
    """Delete temporary files a killed build left in `directory`; how many."""
    removed = 0
    if directory.is_dir():
        for leftover in directory.glob(f".*{TEMPORARY_SUFFIX}"):
            leftover.unlink(missing_ok=True)
            removed += 1
    return removed


@contextmanager
def exclusive_build(directory: Path) -> Iterator[None]:
    """Hold the folder's build lock (released by the OS even if the process is killed)."""
    directory.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise StoreError(f"{directory}: another audio build is running there") from error
        yield
    finally:
        os.close(descriptor)
