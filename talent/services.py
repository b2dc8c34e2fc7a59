from datetime import date

from talent.models import Talent


def count_talents_introduced(target, start: date, end: date) -> int:
    """Talents introduced in [start, end]; with a parameter, only those holding that honour."""
    talents = Talent.objects.filter(introduced_on__range=(start, end))
    if target.parameter:
        talents = talents.filter(honours__honour__name=target.parameter).distinct()
    return talents.count()
