from django.conf import settings
from django.conf.urls.static import static

# static() serves nothing unless DEBUG is on and MEDIA_URL is local.
urlpatterns = [*static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)]
