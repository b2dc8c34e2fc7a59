"""Middleware of the portal's own."""

from xiangcheng.snapshots import FiguresPending
from xiangcheng.views import figures_pending, healthz


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
