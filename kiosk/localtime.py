"""The village's clock: Indonesia's three time zones, for every time a citizen reads.

A fresh kiosk image runs in UTC; a receipt printed at 06:28 WIB must not say 23:28 of the
day before. Indonesia has had no daylight saving since 1964, so each zone is a fixed
offset, and no tz database is needed on the image.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo

ZONE_OFFSETS = {"WIB": 7, "WITA": 8, "WIT": 9}
# The IANA names a vendor may write instead (all Indonesian zones).
IANA_NAMES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Ujung_Pandang": "WITA",
    "Asia/Jayapura": "WIT",
}
TIME_FORMAT = "%d-%m-%Y %H:%M"


def zone_name(value: str) -> str:
    """WIB, WITA or WIT for an abbreviation or IANA name; ValueError otherwise."""
    name = IANA_NAMES.get(value, value.upper())
    if name not in ZONE_OFFSETS:
        known = ", ".join([*ZONE_OFFSETS, *IANA_NAMES])
        raise ValueError(f"expected one of {known}")
    return name


def village_zone(value: str = "WIB") -> tzinfo:
    name = zone_name(value)
    return timezone(timedelta(hours=ZONE_OFFSETS[name]), name)


def format_local(moment: datetime, zone: tzinfo) -> str:
    """ "01-12-2026 06:28 WIB": a moment as the village reads it."""
    local = moment.astimezone(zone)
    return f"{local.strftime(TIME_FORMAT)} {local.tzname()}"


def queue_number(day: datetime, number: int) -> str:
    """ddmmyy-NNN, as village systems print queue numbers (NNN grows past 999)."""
    return f"{day.strftime('%d%m%y')}-{number:03d}"
