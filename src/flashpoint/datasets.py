"""Real data sets bundled with flashpoint.

Two data sets ship inside the package (their READMEs and licences too):

- ``iraq_syria_2023``: attacks on US forces in Iraq, Syria and Jordan, October 2023 - April
  2024, curated from public news reports (:func:`load_attacks`, :func:`load_tallies`,
  :func:`load_key_events`);
- ``iraq2006``: insurgent attack events and coalition air operations in Iraq, 2006, from the
  geocausal R package (MIT licence) (:func:`load_iraq2006`).

Every loader returns a validated frame. :func:`data_path` gives the folder of a data set, to
read its README.
"""

from __future__ import annotations

from collections.abc import Collection
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from flashpoint.errors import FlashpointValueError
from flashpoint.schemas import (
    ACTOR,
    BASES,
    BASIS,
    COUNTRY,
    DATE,
    END,
    FATALITIES,
    GROUP,
    KIND,
    LABEL,
    OFFICIAL,
    SOURCE,
    WOUNDED,
    validate_events,
    validate_key_events,
    validate_tallies,
)

__all__ = [
    "COUNT_START",
    "KH_STRIKE",
    "TRUCE_END",
    "TRUCE_START",
    "Iraq2006",
    "data_path",
    "load_attacks",
    "load_iraq2006",
    "load_key_events",
    "load_tallies",
]

KH_STRIKE = pd.Timestamp("2023-11-22")
"""Local date of the US strike on Kataib Hezbollah at Jurf al-Sakhar (the "KH strike").
An AC-130 strike on the launch crew of the 2023-11-20 missile attack preceded it on 11-21."""
TRUCE_START = pd.Timestamp("2023-11-24")
"""First day of the Gaza truce (07:00 local)."""
TRUCE_END = pd.Timestamp("2023-12-01")
"""Day the Gaza truce ended (07:00 local)."""
COUNT_START = pd.Timestamp("2023-10-17")
"""Day the official US tallies count attacks from."""

_DATASETS = ("iraq_syria_2023", "iraq2006")
COUNTRIES_2023 = ("Iraq", "Syria", "Jordan")
_KIND_LABELS = {
    "us_strike": "US strike",
    "truce_start": "Gaza truce begins",
    "truce_end": "Gaza truce ends",
    "militia_announcement": "Militia announcement",
    "notable_attack": "Notable attack",
    "mass_casualty_attack": "Mass-casualty attack",
    "campaign_start": "Campaign starts",
    "sanctions": "US sanctions",
    "diplomatic": "Diplomatic step",
}


def data_path(name: str = "iraq_syria_2023") -> Path:
    """Return the folder of a bundled data set.

    Parameters
    ----------
    name
        ``"iraq_syria_2023"`` or ``"iraq2006"``.

    Returns
    -------
    pathlib.Path
        The folder holding the data set's CSV files, README and licence. Inside an
        installed wheel this is ``flashpoint/data/<name>``; in a source checkout,
        ``data/<name>``.

    Raises
    ------
    FlashpointValueError
        For an unknown name.

    Examples
    --------
    >>> import flashpoint as fp
    >>> (fp.datasets.data_path() / "README.md").is_file()
    True
    """
    if name not in _DATASETS:
        raise FlashpointValueError(f"unknown data set {name!r}; choose one of {_DATASETS}")
    packaged = Path(str(resources.files("flashpoint"))) / "data" / name
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "data" / name
    if checkout.is_dir():
        return checkout
    raise FlashpointValueError(  # pragma: no cover - broken installation
        f"data set {name!r} not found in {packaged} or {checkout}; reinstall flashpoint"
    )


def _read_csv(name: str, file: str, **kwargs: object) -> pd.DataFrame:
    return pd.read_csv(data_path(name) / file, **kwargs)  # type: ignore[call-overload]


def _as_set(value: str | Collection[str], what: str, allowed: Collection[str]) -> list[str]:
    chosen = [value] if isinstance(value, str) else list(value)
    unknown = [v for v in chosen if v not in allowed]
    if unknown:
        raise FlashpointValueError(f"unknown {what} {unknown}; choose from {list(allowed)}")
    return chosen


def load_attacks(*, basis: str | Collection[str] | None = None) -> pd.DataFrame:
    """Load the attacks on US forces in Iraq, Syria and Jordan, 2023-10-18 to 2024-04-22.

    Source: curated from public news reports (every row lists the addresses of the reports
    it rests on in ``source``); see ``data/iraq_syria_2023/README.md``. Licence: facts
    compiled from public reporting; cite the original reports when using a row.

    One row is one attack on one facility on one local date (UTC+3): a wave of drones at one
    base is one row, the Pentagon's own counting rule. 180 rows (Iraq 64, Syria 115,
    Jordan 1) and 11 columns.

    Parameters
    ----------
    basis
        Keep only rows whose evidence is one of these (``"official"``, ``"monitor"``,
        ``"media"``, ``"claim"``). ``basis="official"`` gives attacks US officials
        confirmed (an undercount); ``None`` keeps all rows (which include claims officials
        did not count: an overcount for Syria).

    Returns
    -------
    pandas.DataFrame
        Validated events (:class:`~flashpoint.schemas.EventSchema`), sorted by date:

        - ``event_id`` (str): ``USF-YYYY-MM-DD-NN``;
        - ``date`` (datetime64): local date of the attack;
        - ``country`` (str): ``Iraq``, ``Syria`` or ``Jordan``;
        - ``site`` (str): canonical base name, ``unknown`` if not named;
        - ``weapon`` (str): ``drone``, ``rocket``, ``ballistic_missile``, ``drone+rocket``,
          ``mortar`` or ``unknown``;
        - ``actor`` (str): who claimed the attack (``claimed_by`` in the CSV);
        - ``basis`` (str): strongest evidence, see above;
        - ``wounded``, ``fatalities`` (Int64): US personnel wounded / killed where a report
          gives a number for that attack (``us_wounded``, ``us_killed`` in the CSV);
        - ``source`` (str): space-separated report addresses (``source_urls`` in the CSV);
        - ``notes`` (str).

    See Also
    --------
    load_tallies : the official cumulative counts, to reconcile with these rows.

    Examples
    --------
    >>> import flashpoint as fp
    >>> attacks = fp.load_attacks()
    >>> attacks.shape
    (180, 11)
    >>> attacks["country"].value_counts().to_dict()
    {'Syria': 115, 'Iraq': 64, 'Jordan': 1}
    >>> len(fp.load_attacks(basis="official"))
    59
    """
    raw = _read_csv(
        "iraq_syria_2023",
        "attacks.csv",
        dtype={"us_wounded": "Int64", "us_killed": "Int64"},
    ).rename(
        columns={
            "claimed_by": ACTOR,
            "us_wounded": WOUNDED,
            "us_killed": FATALITIES,
            "source_urls": SOURCE,
        }
    )
    events = validate_events(raw, by=COUNTRY, categories={COUNTRY: COUNTRIES_2023})
    if basis is not None:
        chosen = _as_set(basis, "basis", BASES)
        events = events[events[BASIS].isin(chosen)]
    return events.sort_values([DATE, "event_id"], kind="stable").reset_index(drop=True)


def load_tallies(*, official: bool | None = None) -> pd.DataFrame:
    """Load the cumulative counts of attacks given by officials and other counters.

    Source: ``data/iraq_syria_2023/tallies.csv`` (public statements and reports; the speaker
    and the report addresses are on every row). Counts are cumulative since 2023-10-17
    (:data:`COUNT_START`) as of ``as_of_date``. 44 rows and 12 columns. Sources disagree at
    times (e.g. 61 vs 62 on 2023-11-17): both rows are kept with the contradiction in
    ``notes``; :func:`flashpoint.counts.tally_intervals` resolves them by a stated rule.
    One row has no ``as_of_date`` (an undated 64) and one has no ``total`` (an injury
    figure only).

    Parameters
    ----------
    official
        ``True``: only figures given by US officials; ``False``: only other counters
        (Washington Institute, ISW, SOHR, ...); ``None``: all rows.

    Returns
    -------
    pandas.DataFrame
        Validated tallies (:class:`~flashpoint.schemas.TallySchema`), in file order:

        - ``as_of_date``, ``statement_date`` (datetime64, may be missing);
        - ``total``, ``iraq``, ``syria``, ``other`` (Int64): cumulative attacks (missing
          where the statement gives no figure);
        - ``us_wounded_total`` (Int64): cumulative US wounded, where given;
        - ``qualifier`` (str): ``exact``, ``about`` or ``at_least`` (a lower bound);
        - ``official`` (bool); ``speaker``, ``source``, ``notes`` (str).

    Examples
    --------
    >>> import flashpoint as fp
    >>> t = fp.load_tallies(official=True)
    >>> t.loc[t["as_of_date"] == "2023-11-23", ["total", "iraq", "syria", "qualifier"]]
        total  iraq  syria qualifier
    18     73    36     37     exact
    19     70  <NA>   <NA>  at_least
    >>> fp.load_tallies().shape
    (44, 12)
    """
    raw = _read_csv("iraq_syria_2023", "tallies.csv").rename(columns={"source_urls": SOURCE})
    out = validate_tallies(raw, groups=("iraq", "syria", "other", "us_wounded_total"))
    if official is not None:
        out = out[out[OFFICIAL] == official]
    return out


def load_key_events() -> pd.DataFrame:
    """Load the key events of the 2023-24 campaign: US strikes, the truce, announcements.

    Source: ``data/iraq_syria_2023/key_events.csv`` (public reports, addresses on every row).
    35 rows: 14 US strikes (``kind == "us_strike"``; the KH strike is 2023-11-21/22), the Gaza
    truce (2023-11-24 to 2023-12-01), militia announcements, notable and mass-casualty
    attacks, sanctions and diplomatic steps.

    Returns
    -------
    pandas.DataFrame
        Validated key events (:class:`~flashpoint.schemas.KeyEventSchema`), 35 rows,
        11 columns, in date order:

        - ``date`` (datetime64): local date;
        - ``end`` (datetime64): last day of a period; set for the ``truce_start`` row
          (2023-12-01, the matching ``truce_end``), missing otherwise;
        - ``kind`` (str): ``us_strike``, ``truce_start``, ``truce_end``,
          ``militia_announcement``, ``notable_attack``, ``mass_casualty_attack``,
          ``campaign_start``, ``sanctions``, ``diplomatic``;
        - ``label`` (str): a short label for figures, e.g. ``"US strike, Iraq"``;
        - ``group`` (str): the group the event applies to; missing for every row (each event
          may affect attacks in every country);
        - ``country`` (str): where it happened (``Iraq;Syria`` for both, ``Gaza``, ...);
        - ``actor``, ``target`` (str); ``reported_killed`` (Int64, where reported);
        - ``source`` (str): report addresses; ``notes`` (str).

    Examples
    --------
    >>> import flashpoint as fp
    >>> ke = fp.load_key_events()
    >>> ke.shape
    (35, 11)
    >>> int((ke["kind"] == "us_strike").sum())
    14
    >>> ke.loc[ke["kind"] == "truce_start", ["date", "end"]].iloc[0].dt.strftime("%m-%d").tolist()
    ['11-24', '12-01']
    """
    raw = _read_csv("iraq_syria_2023", "key_events.csv", dtype={"reported_killed": "Int64"}).rename(
        columns={"source_urls": SOURCE}
    )
    raw[LABEL] = [
        f"{_KIND_LABELS.get(k, str(k).replace('_', ' '))}, {c.replace(';', ' & ')}"
        for k, c in zip(raw[KIND], raw[COUNTRY], strict=True)
    ]
    raw[GROUP] = pd.Series(pd.NA, index=raw.index, dtype="str")
    raw[END] = pd.NaT
    truce_end = raw.loc[raw[KIND] == "truce_end", DATE]
    if len(truce_end):
        raw.loc[raw[KIND] == "truce_start", END] = truce_end.iloc[0]
    cols = [
        DATE,
        END,
        KIND,
        LABEL,
        GROUP,
        COUNTRY,
        "actor",
        "target",
        "reported_killed",
        SOURCE,
        "notes",
    ]
    out = validate_key_events(raw[cols])
    return out.sort_values(DATE, kind="stable").reset_index(drop=True)


class Iraq2006(NamedTuple):
    """The two tables of the Iraq 2006 data set (see :func:`load_iraq2006`)."""

    insurgent_events: pd.DataFrame
    air_operations: pd.DataFrame


INSURGENT_TYPES = ("IED", "SAF", "other")
AIR_OPERATION_TYPES = ("Airstrike", "SOF")


def load_iraq2006() -> Iraq2006:
    """Load insurgent attack events and coalition air operations in Iraq, 2006.

    Source: the data sets ``insurgencies_2006`` and ``airstrikes_2006`` of the geocausal R
    package (Mukaigawara, Papadogeorgou, Lyall and Imai), converted from .rda to CSV without
    other change. Licence: MIT, copyright "geocausal authors" 2023 (``data/iraq2006/LICENSE``).
    Dates 2006-01-01 to 2006-09-24; one row per event.

    Returns
    -------
    Iraq2006
        A named tuple ``(insurgent_events, air_operations)`` of validated events whose
        group column is ``type``:

        - ``insurgent_events``: 37,701 rows x 4 columns: ``date`` (datetime64),
          ``longitude``, ``latitude`` (float64, decimal degrees), ``type``: ``IED``
          (improvised explosive device), ``SAF`` (small arms fire) or ``other``;
        - ``air_operations``: 2,101 rows x 4 columns, same columns, ``type``:
          ``Airstrike`` or ``SOF`` (show of force: a low pass without weapons release).

    Examples
    --------
    >>> import flashpoint as fp
    >>> insurgents, air = fp.load_iraq2006()
    >>> insurgents.shape, air.shape
    ((37701, 4), (2101, 4))
    >>> sorted(insurgents["type"].unique())
    ['IED', 'SAF', 'other']
    """
    ins = _read_csv("iraq2006", "insurgent_events_2006.csv")
    air = _read_csv("iraq2006", "air_operations_2006.csv")
    return Iraq2006(
        insurgent_events=validate_events(ins, by="type", categories={"type": INSURGENT_TYPES}),
        air_operations=validate_events(air, by="type", categories={"type": AIR_OPERATION_TYPES}),
    )
