from django.core.cache import cache
from django.http import JsonResponse


def last_login(request):
    return JsonResponse({"from": cache.get(f"last-login:{request.user.pk}")})


def download(request):
    cache.add("downloads", 0)
    return JsonResponse({"downloads": cache.incr("downloads")})
