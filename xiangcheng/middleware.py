"""Middleware of the portal's own."""

from xiangcheng.snapshots import FiguresPending
from xiangcheng.views import figures_pending, healthz

# Unused slots (8 bytes each) added to the frame of `_in_room` (see below).
FRAME_PADDING = 16_384


def _in_room(function, argument):
    """`function(argument)`, its frames in a chunk of CPython's frame stack of their own."""
    return function(argument)


# CPython keeps Python frames in chunks of 16 KB (2,048 slots) and, in 3.11, 3.12 and the 3.13
# and 3.14 releases before the fix of python/cpython#142183 (which keeps one spare chunk per
# thread), frees a chunk as soon as the frame at its start returns: a loop whose calls begin just
# past the end of a chunk allocates and frees one on every call. A request here runs about 110
# frames deep, where the first chunk ends: the 100 rows of the visit and member lists took 50 ms
# to render instead of 10, every generator and comprehension in them costing an mmap and a
# munmap. The frame of `_in_room` is made FRAME_PADDING slots larger than its code needs, so it
# never fits in the chunk in use: CPython opens a chunk for it of 16 KB doubled until it holds 8
# bytes × (the frame's slots + 1,000), 256 KB here, and the middleware and the view run in the
# 128 KB (about 16,370 slots) the frame leaves free; one allocation per request, kept as the
# spare chunk where the fix is in. The relation is not monotonic: 15,000 slots of padding would
# open a chunk of 128 KB and leave only about 1,375 slots (tests/xiangcheng/test_stack_room.py
# finds a value that leaves too little). A frame object made for `_in_room` (by a debugger, a
# coverage tracer, `inspect.stack()`, an exception passing through it) is as large, 128 KB.
_in_room.__code__ = _in_room.__code__.replace(co_stacksize=_in_room.__code__.co_stacksize + FRAME_PADDING)


class StackRoomMiddleware:
    """Runs the rest of the request in a chunk of the frame stack of its own (`_in_room`): first,
    so that every other middleware, the view and its template run there. Outside it: the request
    signals, the body of a streamed response (iterated by the server once the view has returned),
    the figures' refresh threads and commands, which all start with a shallow stack."""

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
