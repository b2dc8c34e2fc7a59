"""One day for the tests that depend on today's date, so the suite passes on any day of the year.

A test module that reads today's date, or counts from it, runs on TODAY:

    @pytest.fixture(autouse=True)
    def _on_today():
        with clock.travel():
            yield
"""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings

# The middle of a quarter, late in the year that the tests' fixed dates (2026) fall in.
TODAY = date(2026, 11, 18)


def travel(day: date = TODAY, hour: int = 12) -> time_machine.travel:
    """The clock at `hour` o'clock on `day` in the portal's time zone. It keeps running, so rows
    made one after the other still get different times."""
    return time_machine.travel(datetime.combine(day, time(hour), ZoneInfo(settings.TIME_ZONE)), tick=True)
