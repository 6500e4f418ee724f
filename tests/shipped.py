"""The shipped corpus as the tests see it: `data/`'s files that git tracks, in their working-tree
version, in a temporary folder, with the manifest keeping only the documents whose file is tracked.

Why: an admin adds the province's documents to `data/` (`rag add`, the admin page), and `make
test` must still pass afterwards; the tests' expectations ("6 văn bản", the golden figures) are
about the corpus the repository ships. An edit to a shipped file is seen at once, committed or
not. Outside a git checkout (an unpacked archive) the folder is copied as it is.

Usage:
    from shipped import DATA   # tests/ is on sys.path
"""
from __future__ import annotations

import atexit
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from rag.settings import ROOT


def _tracked(root: Path, folder: str) -> list[Path] | None:
    try:
        out = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--", folder],
                             capture_output=True, check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = [root / p for p in out.decode("utf-8").split("\0") if p]
    return [f for f in files if f.is_file()] or None


def shipped_copy(target: Path, root: Path = ROOT) -> Path:
    """Copy the corpus shipped in `root`'s `data/` into `target` (created) and return it."""
    source = root / "data"
    tracked = _tracked(root, "data")
    if tracked is None:
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(".corpus.lock"))
        return target
    target.mkdir(parents=True)
    for f in tracked:
        shutil.copy2(f, target / f.relative_to(source))
    manifest_path = target / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    names = {f.name for f in tracked}
    shipped = [e for e in manifest["documents"] if e.get("file") in names]
    if shipped != manifest["documents"]:  # documents an admin added: left out, the rest byte for byte
        manifest["documents"] = shipped
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return target


_root = Path(tempfile.mkdtemp(prefix="rag-shipped-"))
atexit.register(shutil.rmtree, _root, ignore_errors=True)
DATA = shipped_copy(_root / "data")
