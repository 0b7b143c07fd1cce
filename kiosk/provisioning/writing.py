"""Writing several files all or nothing: the device token, the backend's CA, the config.

Each file is first written in full to a temporary file beside its target (same folder,
so the rename is atomic), synced to disk, with its final mode. Then they are renamed over
their targets in the order given (the config last: until it is renamed, the old config
and what it names stay as they were). A rename that fails puts back every file already
replaced, from a copy kept until the end, so a kiosk is never left half provisioned.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass
class StagedFile:
    """New content for `target`, written in full to `temp` beside it."""

    target: Path
    temp: Path

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.temp.unlink()

    def sync_folder(self) -> None:
        _sync_folder(self.target.parent)


def stage_file(
    target: Path, content: bytes, *, mode: int, owner: tuple[int, int] | None = None
) -> StagedFile:
    """Write `content` to a new temporary file beside `target`, with `mode` (and `owner`)
    from the start: a token file is never readable by others, not even for a moment."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".new", dir=target.parent)
    staged = StagedFile(target, Path(name))
    try:
        os.fchmod(handle, mode)
        if owner is not None:
            os.fchown(handle, *owner)
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        staged.discard()
        raise
    return staged


class WriteFailed(Exception):
    """Files could not all be written; those already replaced were put back."""

    def __init__(self, target: Path, error: OSError, restored: list[Path]) -> None:
        self.target, self.error, self.restored = target, error, restored
        reason = error.strerror or str(error)
        super().__init__(f"cannot write {target}: {reason}")


def replace_all(staged: Sequence[StagedFile], *, check: Callable[[], None] | None = None) -> None:
    """Rename every staged file over its target, in order; all or nothing.

    `check` runs once all are in place (e.g. loading the new config); if it raises, the
    old files are put back and its exception goes on.
    """
    backups: list[tuple[Path, Path | None]] = []  # (target, copy of the old one or None)
    try:
        for item in staged:
            replaced = [target for target, _ in backups]
            try:
                backups.append((item.target, _keep_old(item.target)))
                os.replace(item.temp, item.target)
            except OSError as exc:
                raise WriteFailed(item.target, exc, replaced) from exc
        for folder in {item.target.parent for item in staged}:
            _sync_folder(folder)
        if check is not None:
            check()
    except BaseException:
        _put_back(backups)
        for item in staged:
            item.discard()
        raise
    for _, old in backups:
        if old is not None:
            old.unlink(missing_ok=True)


def _keep_old(target: Path) -> Path | None:
    """A copy of the file about to be replaced (a hard link where the file system allows)."""
    if not target.is_file():
        return None
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent)
    os.close(handle)
    old = Path(name)
    try:
        old.unlink()
        os.link(target, old)
    except OSError:
        shutil.copy2(target, old)
    return old


def _put_back(backups: list[tuple[Path, Path | None]]) -> None:
    for target, old in reversed(backups):
        with contextlib.suppress(OSError):
            if old is not None:
                os.replace(old, target)
            elif target.is_file():
                # Nothing was there before: take away what was written (the failed rename
                # left the target untouched, and that is no file of ours to remove).
                target.unlink()


def _sync_folder(folder: Path) -> None:
    """The renames themselves on disk (a power cut after this keeps the new files)."""
    try:
        handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass  # some file systems (vfat on a boot partition) cannot sync a folder
    finally:
        os.close(handle)
