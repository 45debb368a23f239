from django.conf import settings


class ServedByMiddleware:
    """Name the replica on every response, so the load balancer's work can be watched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Served-By"] = settings.REPLICA_NAME
        response["X-App-Version"] = settings.APP_VERSION
        return response
