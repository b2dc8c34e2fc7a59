"""Progress of a long request (an import), so the page can say what is happening meanwhile.

The form carries a random token; the request doing the work reports its stage and row count
under that token in Django's cache (CACHES, shared by every process on the machine), and the page
polls `import_progress` (xiangcheng/views.py) once a second. Entries are keyed by user as well as
token, so a user reads only their own: another user's token finds nothing.
"""

import re
import secrets

from django.core.cache import cache

# Rows between two reports: about a hundred cache writes for a 25,000-row file.
REPORT_EVERY = 250
# An abandoned entry disappears by itself.
TIMEOUT_SECONDS = 60 * 60
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
STAGES = {"read": "已读取", "validated": "已校验", "written": "已写入"}


def new_token() -> str:
    return secrets.token_urlsafe(16)


def _key(user, token: str) -> str | None:
    if user is None or not user.is_authenticated or not TOKEN.fullmatch(token or ""):
        return None
    return f"xiangcheng:progress:{user.pk}:{token}"


class Progress:
    """Where one import stands: rows read, validated and written so far, out of how many. Without
    a valid token (or a user) it reports nowhere."""

    def __init__(self, user=None, token: str | None = None):
        self.key = _key(user, token)
        self.counts = {}

    def report(self, total: int, **counts: int) -> None:
        """Record the latest counts, by stage (read=…, validated=…, written=…)."""
        if self.key is None:
            return
        self.counts.update(counts)
        stage = next(reversed(counts))
        text = " / ".join(f"{label} {self.counts[name]} 行" for name, label in STAGES.items() if name in self.counts)
        entry = {"stage": stage, "label": STAGES[stage], "done": counts[stage], "total": total, "text": text}
        cache.set(self.key, entry, TIMEOUT_SECONDS)


def read(user, token: str) -> dict | None:
    """The progress `user` reported under `token`, or None."""
    key = _key(user, token)
    return cache.get(key) if key else None
