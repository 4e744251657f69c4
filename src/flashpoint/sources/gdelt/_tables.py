"""The GDELT 2.0 event record: its columns, CAMEO root codes and FIPS 10-4 country names."""

from __future__ import annotations

from flashpoint.schemas import ACTOR, EVENT_ID, LATITUDE, LONGITUDE, SITE, SOURCE

__all__ = ["CAMEO_ROOT_CODES", "FIPS_COUNTRY_NAMES", "GDELT_EVENT_COLUMNS"]

GDELT_EVENT_COLUMNS: tuple[str, ...] = (
    "GLOBALEVENTID",
    "SQLDATE",
    "MonthYear",
    "Year",
    "FractionDate",
    *(
        f"Actor{i}{field}"
        for i in (1, 2)
        for field in (
            "Code",
            "Name",
            "CountryCode",
            "KnownGroupCode",
            "EthnicCode",
            "Religion1Code",
            "Religion2Code",
            "Type1Code",
            "Type2Code",
            "Type3Code",
        )
    ),
    "IsRootEvent",
    "EventCode",
    "EventBaseCode",
    "EventRootCode",
    "QuadClass",
    "GoldsteinScale",
    "NumMentions",
    "NumSources",
    "NumArticles",
    "AvgTone",
    *(
        f"{who}Geo_{field}"
        for who in ("Actor1", "Actor2", "Action")
        for field in (
            "Type",
            "FullName",
            "CountryCode",
            "ADM1Code",
            "ADM2Code",
            "Lat",
            "Long",
            "FeatureID",
        )
    ),
    "DATEADDED",
    "SOURCEURL",
)
"""The 61 columns of a GDELT 2.0 event record, in file order (GDELT 2.0 Event Codebook; the
second column is called ``Day`` in the codebook and ``SQLDATE`` in GDELT's BigQuery table)."""

CAMEO_ROOT_CODES: dict[str, str] = {
    "01": "Make public statement",
    "02": "Appeal",
    "03": "Express intent to cooperate",
    "04": "Consult",
    "05": "Engage in diplomatic cooperation",
    "06": "Engage in material cooperation",
    "07": "Provide aid",
    "08": "Yield",
    "09": "Investigate",
    "10": "Demand",
    "11": "Disapprove",
    "12": "Reject",
    "13": "Threaten",
    "14": "Protest",
    "15": "Exhibit force posture",
    "16": "Reduce relations",
    "17": "Coerce",
    "18": "Assault",
    "19": "Fight",
    "20": "Use unconventional mass violence",
}
"""CAMEO root event codes (``EventRootCode``) and their names (CAMEO manual 1.1b3)."""

FIPS_COUNTRY_NAMES: dict[str, str] = {
    # Middle East
    "BA": "Bahrain",
    "CY": "Cyprus",
    "EG": "Egypt",
    "GZ": "Gaza Strip",
    "IR": "Iran",
    "IS": "Israel",
    "IZ": "Iraq",
    "JO": "Jordan",
    "KU": "Kuwait",
    "LE": "Lebanon",
    "MU": "Oman",
    "QA": "Qatar",
    "SA": "Saudi Arabia",
    "SY": "Syria",
    "TU": "Turkey",
    "AE": "United Arab Emirates",
    "WE": "West Bank",
    "YM": "Yemen",
    # neighbours and other frequent locations
    "AF": "Afghanistan",
    "AG": "Algeria",
    "AJ": "Azerbaijan",
    "AM": "Armenia",
    "CH": "China",
    "DJ": "Djibouti",
    "ER": "Eritrea",
    "ET": "Ethiopia",
    "FR": "France",
    "GG": "Georgia",
    "GM": "Germany",
    "IN": "India",
    "LY": "Libya",
    "MO": "Morocco",
    "OD": "South Sudan",
    "PK": "Pakistan",
    "RS": "Russia",
    "SO": "Somalia",
    "SU": "Sudan",
    "TS": "Tunisia",
    "UK": "United Kingdom",
    "UP": "Ukraine",
    "US": "United States",
}
"""FIPS 10-4 country codes (as in GDELT's ``*Geo_CountryCode`` columns) -> country names.

Covers the Middle East and frequent neighbours; FIPS codes often differ from ISO 3166 (``IZ``
Iraq, ``IS`` Israel, ``MU`` Oman, ``GM`` Germany, ``RS`` Russia, ``UP`` Ukraine). Codes not
listed are kept as the code and reported; pass ``country_names=`` to add names."""

_RENAMES = {
    "GLOBALEVENTID": EVENT_ID,
    "ActionGeo_FullName": SITE,
    "ActionGeo_Lat": LATITUDE,
    "ActionGeo_Long": LONGITUDE,
    "Actor1Name": ACTOR,
    "SOURCEURL": SOURCE,
}
_INTEGERS = (
    "MonthYear",
    "Year",
    "IsRootEvent",
    "QuadClass",
    "NumMentions",
    "NumSources",
    "NumArticles",
    "Actor1Geo_Type",
    "Actor2Geo_Type",
    "ActionGeo_Type",
)
_FLOATS = (
    "FractionDate",
    "GoldsteinScale",
    "AvgTone",
    "Actor1Geo_Lat",
    "Actor1Geo_Long",
    "Actor2Geo_Lat",
    "Actor2Geo_Long",
)
_N_FIELDS = len(GDELT_EVENT_COLUMNS)
_OTHER_LAYOUTS = {
    57: "a GDELT 1.0 event file (57 columns, before March 2013)",
    58: "a GDELT 1.0 event file (58 columns)",
    16: "a GDELT 2.0 Mentions file (16 columns)",
    27: "a GDELT 2.1 GKG file (27 columns)",
}
