"""The settings and per-group fits that :func:`flashpoint.fit_its` passes between steps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flashpoint.models._base import CountSeries
from flashpoint.models._glm import CountFit
from flashpoint.models.design import Design, EventSpec
from flashpoint.models.its._controls import ControlSeries, GroupControls

__all__ = ["GroupFit", "Settings"]


@dataclass(frozen=True, slots=True)
class Settings:
    """The model options shared by every group."""

    family: str
    cov_type: str
    maxlags: int | None
    alpha: float
    n_sim: int
    seed: int | None
    min_pre: int
    band: str
    slope: str
    design_kwargs: dict[str, Any]
    controls: ControlSeries | None = None
    shrinkage: str = "auto"


@dataclass(frozen=True, slots=True)
class GroupFit:
    """One group's model: its events, design, fit, the decay terms' extras and controls."""

    series: CountSeries
    specs: list[EventSpec]
    design: Design
    fit: CountFit
    half_lives: dict[str, tuple[float, float, float]]
    tests: dict[str, tuple[float, float, str]]
    controls: GroupControls | None = None
