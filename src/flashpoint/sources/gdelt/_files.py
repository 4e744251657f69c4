"""Reading GDELT event files (tab-separated, no header, zipped or gzipped) into raw tables."""

from __future__ import annotations

import gzip
import zipfile
from os import PathLike
from pathlib import Path

import pandas as pd

from flashpoint.errors import FileFormatError, FlashpointValueError, InputFileNotFoundError
from flashpoint.sources._common import _Problem
from flashpoint.sources.gdelt._tables import _N_FIELDS, _OTHER_LAYOUTS, GDELT_EVENT_COLUMNS

_Source = str | PathLike[str]


def _named_frame(frame: pd.DataFrame) -> pd.DataFrame:
    if not frame.index.is_unique:
        raise FlashpointValueError(
            "read_gdelt_events needs a DataFrame with a unique index (rejected rows are "
            "reported by index label); call .reset_index(drop=True) first"
        )
    if len(frame.columns) == _N_FIELDS and list(frame.columns) == list(range(_N_FIELDS)):
        frame = frame.set_axis(list(GDELT_EVENT_COLUMNS), axis=1)  # read with header=None
    out = frame.copy(deep=False)
    for col in out.columns:  # GDELT writes a missing value as an empty field
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].mask(out[col].astype("string").str.strip() == "")
    return out


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise InputFileNotFoundError(f"no such file: {path} (current folder: {Path.cwd()})")
    name = path.name.lower()
    try:
        if name.endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.namelist() if not m.endswith("/")]
                if len(members) != 1:
                    raise FileFormatError(
                        f"{path.name} holds {len(members)} files; a GDELT archive holds one "
                        "event file"
                    )
                data = archive.read(members[0])
        elif name.endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                data = fh.read()
        else:
            data = path.read_bytes()
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise FileFormatError(f"cannot read {path.name}: {err}") from err
    if b"\x00" in data[:65536]:
        raise FileFormatError(f"{path.name} is not a text file (it holds NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise FileFormatError(
            f"{path.name} is not UTF-8 text ({err.reason} at byte {err.start}); GDELT files "
            "are UTF-8"
        ) from err


def _read_files(paths: list[_Source], problems: list[_Problem]) -> pd.DataFrame:
    """Split each file into 61 fields per line; lines with another count become problems."""
    rows: list[list[str]] = []
    for path in paths:
        p = Path(path)
        counts: dict[int, int] = {}
        for lineno, line in enumerate(_read_text(p).split("\n"), start=1):
            line = line.rstrip("\r")
            if not line:
                continue
            fields = line.split("\t")
            if lineno == 1 and fields[0].strip().upper() == "GLOBALEVENTID":
                continue  # a header added by some export tools
            counts[len(fields)] = counts.get(len(fields), 0) + 1
            if len(fields) != _N_FIELDS:
                problems.append(
                    _Problem(
                        len(rows),
                        None,
                        "field_count",
                        f"{p.name}:{lineno}",
                        f"line {lineno} of {p.name} has {len(fields)} tab-separated fields; a "
                        f"GDELT 2.0 event record has {_N_FIELDS}",
                        f"a line does not have the {_N_FIELDS} tab-separated fields of a GDELT "
                        "2.0 event record",
                    )
                )
                fields = (fields + [""] * _N_FIELDS)[:_N_FIELDS]
            rows.append(fields)
        if counts and _N_FIELDS not in counts:
            common = max(counts, key=lambda k: counts[k])
            guess = _OTHER_LAYOUTS.get(common, "not a GDELT 2.0 event file")
            raise FileFormatError(
                f"{p.name} has lines of {sorted(counts)} tab-separated fields, none of "
                f"{_N_FIELDS}: it looks like {guess}. read_gdelt_events reads GDELT 2.0 event "
                "files (*.export.CSV)"
            )
    table = pd.DataFrame(rows, columns=list(GDELT_EVENT_COLUMNS), dtype="str")
    return table.mask(table == "")
