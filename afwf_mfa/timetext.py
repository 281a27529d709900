"""Durations and clock times in the few words a notification or subtitle has room for."""

import datetime as dt


def now() -> dt.datetime:
    """The current time, aware of the local time zone."""
    return dt.datetime.now().astimezone()


def span(seconds: float) -> str:
    """``11 h 52 min``, ``52 min``, ``3 days``: a length of time, rounded down."""
    minutes = int(max(seconds, 0) // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days >= 2:
        return f"{days} days"
    hours += days * 24
    if hours and minutes:
        return f"{hours} h {minutes} min"
    if hours:
        return f"{hours} h"
    return f"{minutes} min"


def clock(when: dt.datetime, reference: dt.datetime | None = None) -> str:
    """``03:31`` in local time, with the weekday when it is not today."""
    local = when.astimezone()
    reference = (reference or now()).astimezone()
    if local.date() == reference.date():
        return local.strftime("%H:%M")
    return local.strftime("%a %H:%M")


def iso(when: dt.datetime) -> str:
    """ISO 8601 in local time with its UTC offset, to the second."""
    return when.astimezone().replace(microsecond=0).isoformat()
