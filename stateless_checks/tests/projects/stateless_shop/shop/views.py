from django.core.cache import cache
from django.core.files.storage import default_storage
from django.http import JsonResponse


def upload(request):
    cache.incr("uploads")  # on Redis: one count every replica shares
    return JsonResponse({"name": default_storage.save("uploads/file.bin", request.FILES["file"])})
