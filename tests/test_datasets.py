"""Loaders return what their docstrings say."""

from __future__ import annotations

import pandas as pd
import pytest

import flashpoint as fp
from flashpoint.errors import FlashpointValueError


def test_load_attacks_shape_and_columns() -> None:
    a = fp.load_attacks()
    assert a.shape == (180, 11)
    assert list(a.columns) == [
        "event_id",
        "date",
        "country",
        "site",
        "weapon",
        "actor",
        "basis",
        "wounded",
        "fatalities",
        "source",
        "notes",
    ]
    assert a["country"].value_counts().to_dict() == {"Syria": 115, "Iraq": 64, "Jordan": 1}
    assert a["date"].min() == pd.Timestamp("2023-10-18")
    assert a["date"].max() == pd.Timestamp("2024-04-22")
    assert a["date"].is_monotonic_increasing
    assert str(a["wounded"].dtype) == "Int64"
    assert a["source"].str.startswith("http").all()  # every row carries its source
    fp.validate_events(a)


def test_load_attacks_basis_filter() -> None:
    assert len(fp.load_attacks(basis="official")) == 59
    assert len(fp.load_attacks(basis=["official", "monitor"])) == 79
    with pytest.raises(FlashpointValueError, match=r"unknown basis \['rumour'\]"):
        fp.load_attacks(basis="rumour")


def test_load_tallies() -> None:
    t = fp.load_tallies()
    assert t.shape == (44, 12)
    assert t["as_of_date"].isna().sum() == 1
    assert t["total"].isna().sum() == 1
    assert set(t["qualifier"]) == {"exact", "about", "at_least"}
    assert len(fp.load_tallies(official=True)) + len(fp.load_tallies(official=False)) == 44
    row = t[(t["as_of_date"] == "2023-11-23") & (t["qualifier"] == "exact")].iloc[0]
    assert (row["total"], row["iraq"], row["syria"]) == (73, 36, 37)


def test_load_key_events() -> None:
    k = fp.load_key_events()
    assert k.shape == (35, 11)
    assert int((k["kind"] == "us_strike").sum()) == 14
    kh = k[(k["kind"] == "us_strike") & k["date"].isin([fp.datasets.KH_STRIKE])]
    assert kh["label"].tolist() == ["US strike, Iraq"]
    truce = k[k["kind"] == "truce_start"].iloc[0]
    assert (truce["date"], truce["end"]) == (fp.datasets.TRUCE_START, fp.datasets.TRUCE_END)
    assert k["group"].isna().all()
    fp.validate_key_events(k)


def test_load_iraq2006() -> None:
    ins, air = fp.load_iraq2006()
    assert ins.shape == (37701, 4)
    assert air.shape == (2101, 4)
    assert list(ins.columns) == ["date", "longitude", "latitude", "type"]
    assert set(ins["type"]) == {"IED", "SAF", "other"}
    assert set(air["type"]) == {"Airstrike", "SOF"}
    assert ins["date"].min() == pd.Timestamp("2006-01-01")
    assert ins["date"].max() <= pd.Timestamp("2006-09-24")
    assert fp.load_iraq2006().insurgent_events is not ins  # a fresh frame each call


def test_data_sets_ship_readmes_and_licences() -> None:
    for name in ("iraq_syria_2023", "iraq2006"):
        assert (fp.datasets.data_path(name) / "README.md").is_file()
    assert (fp.datasets.data_path("iraq2006") / "LICENSE").is_file()
    with pytest.raises(FlashpointValueError, match="unknown data set 'gdelt'"):
        fp.datasets.data_path("gdelt")


def test_counts_of_the_bundled_attacks() -> None:
    counts = fp.count_daily(fp.load_attacks())
    assert counts["count"].sum() == 180
    assert (
        counts["date"].nunique()
        == (pd.Timestamp("2024-04-22") - pd.Timestamp("2023-10-18")).days + 1
    )
