from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from config.health import healthz, readyz

urlpatterns = [
    path("", include("catalog.urls")),
    path("cart/", include("cart.urls")),
    path("", include("orders.urls")),
    path("accounts/", include("accounts.urls")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    # Product pictures, from this replica's own disk. Invoices are handed out by their view only.
    path("media/products/<path:path>", serve, {"document_root": settings.MEDIA_ROOT / "products"}),
]
