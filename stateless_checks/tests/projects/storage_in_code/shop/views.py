from django.core.files.storage import FileSystemStorage
from django.http import JsonResponse


def upload(request):
    name = FileSystemStorage(location="/srv/uploads").save("upload.bin", request.FILES["file"])
    return JsonResponse({"name": name})
