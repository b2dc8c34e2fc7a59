"""Middleware of the portal's own."""

from xiangcheng.snapshots import FiguresPending
from xiangcheng.views import figures_pending, healthz

# Room, in stack slots (8 bytes each), that a request's frames get to themselves (`StackRoomMiddleware`).
STACK_ROOM = 16_384


def _in_room(function, argument):
    """`function(argument)`, its frames in a part of CPython's frame stack of their own."""
    return function(argument)


# CPython keeps Python frames in chunks of 16 KB (2,048 slots) and, before the fix of
# python/cpython#142183 (later 3.13 and 3.14 releases), frees a chunk as soon as the frame at its
# start returns: a loop whose calls begin just past the end of a chunk allocates and frees one on
# every call. A request here runs about 110 frames deep, where the first chunk ends: the 100 rows
# of the visit and member lists took 50 ms to render instead of 10, every generator and
# comprehension in them costing an mmap and a munmap. A frame this much larger than its code
# needs never fits in the chunk in use, so it opens one large enough for the whole request, once
# per request.
_in_room.__code__ = _in_room.__code__.replace(co_stacksize=_in_room.__code__.co_stacksize + STACK_ROOM)


class StackRoomMiddleware:
    """Runs the request in frames of its own chunk (`_in_room`): first, so that every other
    middleware and the view run there."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return _in_room(self.get_response, request)


class HealthCheckMiddleware:
    """`GET /healthz` is answered here, before sessions, users and the audit context are read:
    with the database down those would fail first, and a load balancer would get a 500 instead
    of the 503 that says "take me out"."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return healthz(request)
        return self.get_response(request)


class FiguresPendingMiddleware:
    """A page whose figures are computed for the first time, and not ready within its wait
    (`FiguresPending`, xiangcheng/snapshots.py), is answered with a notice that reloads itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, FiguresPending):
            return figures_pending(request, exception)
        return None
