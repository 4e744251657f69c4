"""Saving and loading results: ``result.save(path)`` and :func:`load_result`.

A result file is a header line and a pickle::

    FLASHPOINT-RESULT {"format": 1, "flashpoint": "0.1.0", "type": "ITSResult"}
    <pickle of the result>

The header is read before anything is unpickled: a file that is not a flashpoint result, a
file of another format, or a file written by another flashpoint version is refused with a
:class:`~flashpoint.errors.FlashpointError` that says so (a result pickled by one version
may not load, or may load wrongly, in another: its classes change). ``allow_other_version=
True`` loads it anyway, with a :class:`~flashpoint.errors.FlashpointWarning`.

Unpickling runs code named in the file: load only files you trust (your own saves).
"""

from __future__ import annotations

import json
import pickle
from os import PathLike
from pathlib import Path
from typing import Any

from flashpoint._output import check_target, write_atomic
from flashpoint._version import __version__
from flashpoint.errors import (
    FileFormatError,
    FlashpointError,
    FlashpointWarning,
    InputFileNotFoundError,
    warn,
)

__all__ = ["MAGIC", "load_result", "save_result"]

MAGIC = b"FLASHPOINT-RESULT "
"""First bytes of every result file."""
FORMAT = 1
"""Version of the file layout (header line + pickle)."""
_MAX_HEADER = 4096


def _is_result_file(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def save_result(result: Any, path: str | PathLike[str], *, force: bool = False) -> Path:
    """Write ``result`` to ``path`` (header + pickle), atomically; return the path.

    An existing file is replaced only when it is a flashpoint result file, or with
    ``force=True``.
    """
    out = check_target(path, recognise=_is_result_file, what="result file", force=force)
    header = {"format": FORMAT, "flashpoint": __version__, "type": type(result).__name__}
    body = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    write_atomic(out, MAGIC + json.dumps(header).encode("ascii") + b"\n" + body)
    return out


def _read_header(raw: bytes, path: Path) -> tuple[dict[str, Any], int]:
    """Parse the header line; return it and the offset of the pickle."""
    if not raw.startswith(MAGIC):
        raise FileFormatError(
            f"{path} is not a flashpoint result file (it does not start with "
            f"{MAGIC.decode().strip()!r}); load_result reads files written by result.save()"
        )
    end = raw.find(b"\n", 0, _MAX_HEADER)
    try:
        header = json.loads(raw[len(MAGIC) : end].decode("ascii")) if end > 0 else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        header = None
    if not isinstance(header, dict) or not {"format", "flashpoint", "type"} <= header.keys():
        raise FileFormatError(f"{path} has a damaged flashpoint result header; save it again")
    return header, end + 1


def load_result(path: str | PathLike[str], *, allow_other_version: bool = False) -> Any:
    """Load a result saved with ``result.save(path)``.

    Parameters
    ----------
    path
        A file written by ``result.save()``.
    allow_other_version
        Load a file written by another flashpoint version anyway (with a warning). Default
        ``False``: such a file is refused, because a result pickled by one version may not
        load, or load wrongly, in another.

    Returns
    -------
    ResultMixin
        The result, of the type named in the file's header.

    Raises
    ------
    InputFileNotFoundError
        When ``path`` does not exist.
    FileFormatError
        When the file is not a flashpoint result file, its header is damaged, or its layout
        is newer than this flashpoint reads.
    FlashpointError
        When the file was written by another flashpoint version (and
        ``allow_other_version`` is False), or its content does not match its header.

    Notes
    -----
    Loading unpickles the file, which can run code named in it: load only files you
    trust, such as your own saves. The header is checked before anything is unpickled.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np, pandas as pd
    >>> from flashpoint.models import fit_trend, load_result
    >>> rng = np.random.default_rng(1)
    >>> simulated = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=40),
    ...                           "count": rng.poisson(3.0, 40)})
    >>> res = fit_trend(simulated, family="poisson", trend="linear")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "trend.fpres"
    >>> _ = res.save(path)
    >>> back = load_result(path)
    >>> back.summary().equals(res.summary())
    True
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileNotFoundError(f"no such result file: {p}")
    raw = p.read_bytes()
    header, start = _read_header(raw, p)
    if header["format"] != FORMAT:
        raise FileFormatError(
            f"{p} uses result-file format {header['format']}; this flashpoint "
            f"({__version__}) reads format {FORMAT}: load it with the flashpoint that wrote it"
        )
    if header["flashpoint"] != __version__:
        message = (
            f"{p} holds a {header['type']} saved by flashpoint {header['flashpoint']}; this is "
            f"flashpoint {__version__}, whose result classes may differ"
        )
        if not allow_other_version:
            raise FlashpointError(
                f"{message}. Refit the model with this version (the safe way), install "
                f"flashpoint=={header['flashpoint']} to read it, or pass "
                "allow_other_version=True to load it anyway"
            )
        warn(f"{message}; loaded anyway (allow_other_version=True)", FlashpointWarning)
    result = pickle.loads(raw[start:])
    if type(result).__name__ != header["type"]:
        raise FlashpointError(
            f"{p} says it holds a {header['type']} but holds a {type(result).__name__}; "
            "the file was altered: save the result again"
        )
    return result
