"""Expected dates as a pure function of (created_at, target, calendar): no app, no database."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.errors import InvalidInput
from backend.services.service_levels import (
    ROUND_THE_CLOCK,
    Target,
    calendar_from_data,
    due_at,
)

LA = ZoneInfo("America/Los_Angeles")
OFFICE = calendar_from_data(
    "America/Los_Angeles",
    {d: [["07:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    ["2026-12-25", "2027-01-01"])
SEVEN_DAYS = calendar_from_data("America/Los_Angeles",
                                {d: [["00:00", "24:00"]] for d in
                                 ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}, [])
SPLIT_SHIFT = calendar_from_data("UTC", {"mon": [["08:00", "12:00"], ["13:00", "17:00"]]}, [])


def la(*parts) -> datetime:
    return datetime(*parts, tzinfo=LA)


def test_round_the_clock_hours_are_elapsed_time():
    created = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert due_at(created, Target(72)) == created + timedelta(hours=72)
    assert due_at(created, Target(0)) == created


def test_office_hours_stop_the_clock_overnight_and_at_weekends():
    # Friday 15:00 + 4 working hours: 2 on Friday, 2 from Monday 07:00.
    assert due_at(la(2026, 11, 20, 15, 0), Target(4), OFFICE) == la(2026, 11, 23, 9, 0)
    # Arriving on Saturday: the clock starts Monday 07:00.
    assert due_at(la(2026, 11, 21, 12, 0), Target(10), OFFICE) == la(2026, 11, 23, 17, 0)
    # Arriving before opening: the clock starts at opening.
    assert due_at(la(2026, 11, 23, 5, 0), Target(1), OFFICE) == la(2026, 11, 23, 8, 0)


def test_exactly_at_closing_lands_on_closing_not_next_morning():
    assert due_at(la(2026, 11, 23, 7, 0), Target(10), OFFICE) == la(2026, 11, 23, 17, 0)


def test_holidays_are_skipped():
    # Thursday 24 Dec 16:00 + 2 h: 1 h on Thursday, Friday 25 is a holiday, 1 h Monday.
    assert due_at(la(2026, 12, 24, 16, 0), Target(2), OFFICE) == la(2026, 12, 28, 8, 0)


def test_business_days_end_at_close_of_the_nth_working_day_after_arrival():
    # Monday + 2 business days: Wednesday at closing.
    assert due_at(la(2026, 11, 23, 10, 0), Target(2, "business_days"), OFFICE) \
        == la(2026, 11, 25, 17, 0)
    # Friday + 1 business day: Monday at closing.
    assert due_at(la(2026, 11, 20, 16, 59), Target(1, "business_days"), OFFICE) \
        == la(2026, 11, 23, 17, 0)
    # Over Christmas and New Year: 24 Dec (Thu) + 3 → 28, 29, 30 Dec.
    assert due_at(la(2026, 12, 24, 9, 0), Target(3, "business_days"), OFFICE) \
        == la(2026, 12, 30, 17, 0)


def test_zero_business_days_means_today_if_still_open_else_next_working_day():
    assert due_at(la(2026, 11, 23, 10, 0), Target(0, "business_days"), OFFICE) \
        == la(2026, 11, 23, 17, 0)
    assert due_at(la(2026, 11, 23, 18, 0), Target(0, "business_days"), OFFICE) \
        == la(2026, 11, 24, 17, 0)


def test_daylight_saving_change_counts_real_hours_in_local_days():
    # 8 March 2026, 02:00 PST → 03:00 PDT: the local day has 23 hours.
    created = la(2026, 3, 7, 12, 0)
    due = due_at(created, Target(24), SEVEN_DAYS)
    assert due - created == timedelta(hours=24)  # elapsed time, not wall-clock time
    assert due.astimezone(LA).hour == 13  # an hour later on the wall clock


def test_split_shifts_skip_the_lunch_break():
    monday_11 = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    assert due_at(monday_11, Target(2), SPLIT_SHIFT) == datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    # Not enough hours this Monday: next Monday.
    assert due_at(monday_11, Target(8), SPLIT_SHIFT) == datetime(2026, 11, 30, 11, 0, tzinfo=UTC)


def test_creation_time_in_any_zone_gives_the_same_instant():
    utc = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)  # 10:00 in LA
    assert due_at(utc, Target(3), OFFICE) == due_at(utc.astimezone(LA), Target(3), OFFICE) \
        == la(2026, 11, 23, 13, 0)


def test_naive_times_and_bad_calendars_are_refused():
    with pytest.raises(ValueError):
        due_at(datetime(2026, 1, 1), Target(1), ROUND_THE_CLOCK)
    bad = [("Mars/Olympus", {"mon": [["07:00", "17:00"]]}, [], "invalid_timezone"),
           ("UTC", {"monday": [["07:00", "17:00"]]}, [], "invalid_weekday"),
           ("UTC", {"mon": [["17:00", "07:00"]]}, [], "invalid_hours"),
           ("UTC", {"mon": [["7 am", "5 pm"]]}, [], "invalid_hours"),
           ("UTC", {"mon": []}, [], "calendar_without_hours"),
           ("UTC", {"mon": [["07:00", "17:00"]]}, ["25/12/2026"], "invalid_holiday")]
    for zone, hours, holidays, code in bad:
        with pytest.raises(InvalidInput) as refused:
            calendar_from_data(zone, hours, holidays)
        assert refused.value.code == code
    with pytest.raises(InvalidInput):
        Target(3, "fortnights")
