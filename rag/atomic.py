"""Atomic writes: a file or folder is replaced whole or not at all.

Why one helper: the index, eval reports, feedback exports, provisioned models and the corpus
manifest are all written by "write a temporary sibling, fsync, rename over the target"; a crash
at any point leaves either the old version or the new one, never half of each.

Example:
    >>> atomic_write_text(Path("out.json"), "{}")
    >>> with atomic_writer(Path("model.bin")) as fh:
    ...     fh.write(b"...")
    >>> with file_lock(Path("data/.corpus.lock")):
    ...     ...  # read, change and rewrite the manifest
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def _umask() -> int:
    """The process's umask (read by setting it, so set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _as_created(path: str, mode: int) -> None:
    """Give a temporary file or folder the mode `open()` or `mkdir()` would have: `tempfile` makes
    them private (0600 / 0700), so a replica or reader running as another user could not read the
    index or the corpus that replaced them."""
    os.chmod(path, mode & ~_umask())


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[BinaryIO]:
    """A binary file handle whose content replaces `path` only when the block ends without error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    _as_created(tmp, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock (`flock`) on `path`, created when missing, for the block.
    Why: a file that is read, changed and rewritten (the corpus manifest) by two processes at once
    (the admin page and `python -m rag add`, or two app replicas sharing the folder) would keep only
    one of the changes. Atomic writes alone prevent torn files, not lost updates. Each call opens
    the file anew, so two threads of one process exclude each other too (the lock is not re-entrant)."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_writer(path) as fh:
        fh.write(data)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def staged_dir(target: Path, replace: bool = True) -> Iterator[Path]:
    """A temporary sibling folder to fill; on success it becomes `target` (replacing the old one
    when `replace`, else only when `target` does not exist yet), on failure it is removed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.build-{os.getpid()}-", dir=target.parent))
    _as_created(str(tmp), 0o777)
    try:
        yield tmp
        if replace:
            swap_dir(tmp, target)
        else:
            os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def remove_orphans(target: Path) -> list[str]:
    """Remove staging folders of `target` left by builds that were killed (their process is gone);
    returns their names. A folder of a build still running is left alone."""
    removed = []
    for folder in target.parent.glob(f".{target.name}.build-*"):
        pid = folder.name.removeprefix(f".{target.name}.build-").split("-", 1)[0]
        try:
            os.kill(int(pid), 0)
            continue  # that build is still running
        except (ValueError, ProcessLookupError):
            pass
        except PermissionError:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder.name)
    return removed


def swap_dir(new: Path, target: Path) -> None:
    """Replace folder `target` by `new` with renames only; the old one survives until the new one is in place."""
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)
