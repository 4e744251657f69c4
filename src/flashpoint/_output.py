"""Writing output files safely: never over an input, never over a stranger's file, never half.

Used by :meth:`flashpoint.Report.write` and the command line (``flashpoint report --out``,
``flashpoint counts --out``). The rules:

1. The output is never one of the inputs (same path or same file through a link), even with
   ``force``.
2. An existing file is replaced only when flashpoint wrote it (``recognise(path)`` is true:
   the report's ``<meta name="generator" content="flashpoint ...">``, the header of a counts
   table), or with ``force``.
3. The folder must exist and be writable, and an existing file writable: checked by
   :func:`check_target` *before* any work, so a bad path fails in a second, not after
   minutes of modelling.
4. :func:`write_atomic` writes a temporary file in the same folder, then renames it over the
   target: an interrupted run leaves the old file (or none), never half a page.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable
from os import PathLike
from pathlib import Path

from flashpoint.errors import FlashpointTypeError, OutputFileError

__all__ = ["check_target", "write_atomic"]


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:  # pragma: no cover - raced away
        return False


def check_target(
    path: str | PathLike[str],
    *,
    recognise: Callable[[Path], bool],
    what: str,
    inputs: Iterable[str | PathLike[str] | None] = (),
    force: bool = False,
    force_hint: str = "force=True",
) -> Path:
    """Check that ``path`` may be written (rules 1-3 above) and return it as a Path.

    Raises
    ------
    OutputFileError
        When the path is an input, a folder, an existing file flashpoint did not write (and
        ``force`` is false), a read-only file, or lies in a missing or read-only folder.
    """
    if not isinstance(path, str | PathLike):
        raise FlashpointTypeError(f"the output path must be a file path, got {type(path).__name__}")
    out = Path(path)
    for source in inputs:
        if source is not None and _same_file(out, Path(source)):
            raise OutputFileError(
                f"the output {out} is the input file {source}: writing it would destroy the "
                "data. Choose another output path"
            )
    if out.is_dir():
        raise OutputFileError(f"the output {out} is a folder; give a file name such as {out}/x")
    folder = out.parent
    if not folder.is_dir():
        raise OutputFileError(
            f"the folder {folder} does not exist; create it first or choose another path"
        )
    if out.exists():
        if not (force or recognise(out)):
            raise OutputFileError(
                f"{out} exists and is not a {what} written by flashpoint; refusing to "
                f"overwrite it. Choose another path, delete the file, or pass {force_hint}"
            )
        if not os.access(out, os.W_OK):
            raise OutputFileError(f"{out} is read-only; choose another path")
    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".flashpoint-", suffix=".probe")
    except OSError as err:
        raise OutputFileError(
            f"cannot write in the folder {folder} ({err.strerror or err}); choose another path"
        ) from err
    os.close(handle)
    os.unlink(probe)
    return out


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write ``text`` (UTF-8, or bytes) to a temporary file beside ``path``, then rename it."""
    umask = os.umask(0)
    os.umask(umask)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if isinstance(text, bytes):
            with os.fdopen(handle, "wb") as raw:
                raw.write(text)
                raw.flush()
                os.fsync(raw.fileno())
        else:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
