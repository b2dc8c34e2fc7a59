"""Read replicas: the read-heavy pages read from a streaming replica, the rest from the primary.

With `DATABASE_REPLICA_URLS` set, settings.py adds one database alias per replica
(`DATABASE_REPLICAS`) and this router. Without it there is no second alias and no router;
`ReplicaMiddleware` still records who wrote (harmless: every read is from the primary).

- A view marked `@reads_from_replica` (the dashboard, the quarterly report, the completion page,
  the data-quality page, exports) reads the portal's own tables from a replica: the middleware
  sets the request's replica in a context variable when the view is resolved and clears it when
  the response is made (a streamed export names its alias itself: its rows are read after that).
- Everything else reads from the primary, and every write goes to the primary, in marked views
  too (the access log, stored figures).
- Sessions, users, groups and permissions are always read from the primary: a session begun a
  moment ago may not have reached a replica yet.
- A user who wrote (any POST, PUT, PATCH or DELETE outside the marked views) reads from the
  primary for `DATABASE_REPLICA_PIN_SECONDS` afterwards, so they see their own writes (stored
  figures once computed again: xiangcheng/snapshots.py); the time is
  kept in their session (in the database, so every app server sees it). The sign-in pages
  (`@writes_accounts_only`) write only sessions and accounts, which are read from the primary
  anyway, so the dashboard after signing in still reads from a replica.
- Each user reads from one replica (by user id), so their pages never go back in time when the
  replicas lag unequally; a replica that does not answer is skipped, and with none left the
  page reads from the primary.
"""

import contextvars
import logging
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

# The apps whose tables a marked view reads from a replica (the portal's own).
REPLICATED_APPS = frozenset({"xiangcheng", "branches", "talent", "members", "cadres"})
PINNED_UNTIL = "replica_pinned_until"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

_reading = contextvars.ContextVar("xiangcheng_replica_reading", default=None)


def reads_from_replica(view):
    """Mark a view whose reads may come from a replica (see the module docstring)."""
    view.reads_from_replica = True
    return view


def writes_accounts_only(view):
    """Mark a view whose posts write only sessions, users and sign-in devices (never read from a
    replica): they do not pin the user to the primary."""
    view.pins_to_primary = False
    return view


def reading_alias() -> str | None:
    """The replica this request reads from, or None (the primary)."""
    return _reading.get()


def read_from(alias: str) -> None:
    """Read from replica `alias` in this context (a thread carrying on a request's work)."""
    _reading.set(alias)


class ReplicaRouter:
    """Reads of the portal's tables go to the request's replica, when it has one; writes, and
    everything outside a marked view, go to the primary."""

    def db_for_read(self, model, **hints):
        alias = _reading.get()
        if alias is None:
            return None  # Django's own choice: the primary, or the database a related row came from.
        return alias if model._meta.app_label in REPLICATED_APPS else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Every alias holds the same database.
        return True

    def allow_migrate(self, db, app_label, **hints):
        # A replica follows the primary's migrations by itself (and refuses writes).
        return db == DEFAULT_DB_ALIAS


def pinned(request) -> bool:
    """Whether the request's user wrote in the last DATABASE_REPLICA_PIN_SECONDS."""
    session = getattr(request, "session", None)
    until = session.get(PINNED_UNTIL) if session is not None else None
    return until is not None and until > time.time()


def _usable(alias: str) -> bool:
    connection = connections[alias]
    try:
        # A kept connection is checked once per request (CONN_HEALTH_CHECKS), a closed one opened.
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DatabaseError as error:
        logger.warning("Replica %s unavailable, reading from the primary: %s", alias, error)
        return False
    return True


def replica_for(request) -> str | None:
    """The replica this request's user reads from: their own (by user id), or the next that
    answers; None when none answers."""
    replicas = list(settings.DATABASE_REPLICAS)
    if not replicas:
        return None
    user = getattr(request, "user", None)
    start = user.pk % len(replicas) if user is not None and user.is_authenticated else 0
    return next((alias for alias in replicas[start:] + replicas[:start] if _usable(alias)), None)


class ReplicaMiddleware:
    """Routes the reads of marked views to a replica, and pins a user who wrote to the primary.
    Placed after the session and authentication middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request._replica_token = None
        # A post to a view not resolved (a 404) pins too.
        request._pins_to_primary = True
        try:
            response = self.get_response(request)
        finally:
            if request._replica_token is not None:
                _reading.reset(request._replica_token)
                request._replica_token = None
        if request.method not in SAFE_METHODS and request._pins_to_primary:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and hasattr(request, "session"):
                request.session[PINNED_UNTIL] = time.time() + settings.DATABASE_REPLICA_PIN_SECONDS
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        reads_from_replica = getattr(view_func, "reads_from_replica", False)
        # A marked view's posts (an export's form) only read.
        request._pins_to_primary = getattr(view_func, "pins_to_primary", True) and not reads_from_replica
        if pinned(request) or not reads_from_replica:
            return None
        alias = replica_for(request)
        if alias is not None:
            request._replica_token = _reading.set(alias)
        return None
