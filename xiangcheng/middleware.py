"""Middleware of the portal's own."""

from xiangcheng.views import healthz


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
