"""The time-zone picker's list: one entry per place, sorted by offset, no aliases or Etc/*,
a zone stored before kept; offsets written as people read them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask

from portal.zones import offset_text, picker_zones, zone_choices

WINTER = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
SUMMER = datetime(2026, 7, 3, 12, 0, tzinfo=UTC)


def test_offsets_read_as_people_write_them():
    assert offset_text(timedelta(hours=1)) == "+01:00"
    assert offset_text(timedelta(hours=-5)) == "-05:00"
    assert offset_text(timedelta(hours=5, minutes=30)) == "+05:30"
    assert offset_text(timedelta(hours=-3, minutes=-30)) == "-03:30"
    assert offset_text(None) == "+00:00"


def test_the_list_has_places_not_aliases():
    names = [name for name, _code in picker_zones()]
    assert 350 < len(names) < 480 and len(names) == len(set(names))
    assert "Europe/Stockholm" in names and "UTC" in names and "America/New_York" in names
    assert not [n for n in names if n.startswith(("Etc/", "US/", "GMT")) or "/" not in n
                and n != "UTC"]
    assert "Asia/Calcutta" not in names and "Asia/Kolkata" in names


def test_labels_sorted_by_offset_in_the_reader_s_language(app: Flask):
    with app.test_request_context(headers={"Accept-Language": "sv"}):
        winter = zone_choices(WINTER, "sv")
        summer = zone_choices(SUMMER, "sv")
        copenhagen = next(c for c in winter if c.value == "Europe/Copenhagen")
    stockholm = next(c for c in winter if c.value == "Europe/Stockholm")
    assert stockholm.label == "(UTC+01:00) Stockholm — kl. 14.00 nu"
    assert next(c for c in summer if c.value == "Europe/Stockholm").label == (
        "(UTC+02:00) Stockholm — kl. 14.00 nu")
    assert copenhagen.label.startswith("(UTC+01:00) Köpenhamn")
    assert "danmark" in copenhagen.render_kw["data-search"]
    offsets = [c.label[4:10] for c in winter]
    as_minutes = [(-1 if o[0] == "-" else 1) * (int(o[1:3]) * 60 + int(o[4:6]))
                  for o in offsets]
    assert as_minutes == sorted(as_minutes)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        english = zone_choices(WINTER, "en")
    assert next(c for c in english if c.value == "Europe/Stockholm").label == (
        "(UTC+01:00) Stockholm — 14:00 now")


def test_a_zone_stored_before_is_kept_and_shown_first(app: Flask):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        kept = zone_choices(WINTER, "en", keep="Etc/GMT+5")
        alias = zone_choices(WINTER, "en", keep="US/Eastern")
        listed = zone_choices(WINTER, "en", keep="Europe/Stockholm")
        nonsense = zone_choices(WINTER, "en", keep="Mars/Olympus")
    assert kept[0].value == "Etc/GMT+5" and kept[0].label.startswith("(UTC-05:00) Etc/GMT+5")
    assert alias[0].value == "US/Eastern" and alias[0].label.startswith("(UTC-05:00)")
    assert len(listed) == len(picker_zones()) == len(nonsense)
