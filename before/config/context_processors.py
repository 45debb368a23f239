from django.conf import settings


def replica(request):
    return {"replica_name": settings.REPLICA_NAME, "app_version": settings.APP_VERSION}
