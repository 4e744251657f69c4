"""Exceptions and warnings raised by flashpoint.

Every exception derives from :class:`FlashpointError` and from the built-in class a user
would expect (``ValueError`` for bad values, ``TypeError`` for wrong types), so both
``except fp.FlashpointError`` and ``except ValueError`` work.

Statistical caveats are warnings, not errors: they derive from :class:`FlashpointWarning`
so that they can be filtered as a group::

    import warnings
    warnings.simplefilter("ignore", fp.errors.FlashpointWarning)
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AffectedControlWarning",
    "AllZeroGroupWarning",
    "ConvergenceWarning",
    "DataQualityWarning",
    "EventRangeError",
    "FewEventsWarning",
    "FewPlacebosWarning",
    "FewPreEventDaysWarning",
    "FileFormatError",
    "FlashpointError",
    "FlashpointTypeError",
    "FlashpointValueError",
    "FlashpointWarning",
    "InputFileNotFoundError",
    "MemoryBudgetError",
    "MissingExtraError",
    "ModelSpecError",
    "NonStationaryWarning",
    "NotEstimableWarning",
    "OutputFileError",
    "OverdispersionWarning",
    "PoorFitWarning",
    "SchemaValidationError",
    "ShortSeriesWarning",
    "warn",
]


class FlashpointError(Exception):
    """Base class of every error raised by flashpoint."""


class FlashpointValueError(FlashpointError, ValueError):
    """An argument has the right type but a value flashpoint cannot use."""


class FlashpointTypeError(FlashpointError, TypeError):
    """An argument has a type flashpoint cannot use."""


class MissingExtraError(FlashpointError, ImportError):
    """An optional dependency (an extra such as ``flashpoint[scale]``) is not installed."""


class FileFormatError(FlashpointValueError):
    """A file could not be read as the table format it was expected to be."""


class InputFileNotFoundError(FlashpointError, FileNotFoundError):
    """An input file, folder or glob pattern names nothing that exists.

    Also a :class:`FileNotFoundError`, so ``except FileNotFoundError`` keeps working.
    """


class OutputFileError(FlashpointValueError):
    """An output file cannot or must not be written.

    Raised before any work is done: the path is one of the inputs, an existing file that
    flashpoint did not write (pass ``force=True`` / ``--force`` to replace it), a folder,
    or in a folder that does not exist or cannot be written to.
    """


class MemoryBudgetError(FlashpointValueError):
    """A call would allocate more memory than the budget allows.

    The message names the size and the argument that reduces it. The budget is half the
    memory available when the call starts; set ``flashpoint.limits.MAX_BYTES`` (bytes) to
    change it.
    """


class ModelSpecError(FlashpointValueError):
    """A model specification (family, event shape, window, ...) is invalid."""


class EventRangeError(ModelSpecError):
    """An intervention event lies outside the data range or overlaps another badly."""


class SchemaValidationError(FlashpointValueError):
    """A table failed schema validation.

    Parameters
    ----------
    message
        Human-readable report listing every failure.
    failure_cases
        One row per failure with columns ``column``, ``check``, ``index`` (the row label of
        the offending row, missing for column- or table-level failures), ``failure_case``
        (the offending value) and ``reason``.

    Attributes
    ----------
    failure_cases : pandas.DataFrame
        As above. Use it to fix the data programmatically.
    """

    def __init__(self, message: str, failure_cases: pd.DataFrame) -> None:
        super().__init__(message)
        self.failure_cases = failure_cases


class FlashpointWarning(UserWarning):
    """Base class of every warning emitted by flashpoint."""


class DataQualityWarning(FlashpointWarning):
    """The data are usable but have a property the analyst should know about."""


class ShortSeriesWarning(FlashpointWarning):
    """The series is too short for the requested model to be reliable."""


class FewPreEventDaysWarning(FlashpointWarning):
    """Too few observations before an event to estimate the pre-event level and trend."""


class AllZeroGroupWarning(FlashpointWarning):
    """A group has no events at all in the analysed window; its model is skipped or degenerate."""


class FewEventsWarning(FlashpointWarning):
    """A group has so few events that its estimates carry little information."""


class FewPlacebosWarning(FlashpointWarning):
    """A placebo (permutation) test has too few placebos to reach its significance level."""


class NonStationaryWarning(FlashpointWarning):
    """A self-exciting model is explosive (branching ratio at or above 1)."""


class ConvergenceWarning(FlashpointWarning):
    """An optimiser did not converge; estimates may be unreliable."""


class OverdispersionWarning(FlashpointWarning):
    """The counts are overdispersed relative to a Poisson model."""


class NotEstimableWarning(FlashpointWarning):
    """A model term cannot be estimated from these data; it is reported as ``NaN``.

    For example a step with no event before it (all-zero pre-event counts or tallies): its
    estimate would diverge to infinity, which an optimiser reports as a rate ratio of 1e10.
    """


class PoorFitWarning(FlashpointWarning):
    """A comparison series (e.g. a synthetic control) does not track the data before an event."""


class AffectedControlWarning(FlashpointWarning):
    """A control series shifts at an event: the event may have moved it too.

    A control that the event itself affects absorbs part of the effect (the estimate is
    biased towards no effect); a shift from a shock common to both series is what the
    control is there to adjust for. Only the analyst can tell which.
    """


_PACKAGE_DIR = str(Path(__file__).resolve().parent)


def warn(message: str, category: type[FlashpointWarning]) -> None:
    """Emit a flashpoint warning attributed to the user's line of code (not ours)."""
    frame = sys._getframe(1)
    level = 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    warnings.warn(message, category, stacklevel=level)
