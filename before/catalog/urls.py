from django.urls import path

from catalog import image_views, views

app_name = "catalog"
urlpatterns = [
    path("", views.product_list, name="list"),
    path("products/<slug:slug>/", views.product_detail, name="detail"),
    path("staff/products/new/", views.ProductCreateView.as_view(), name="create"),
    path("staff/products/<int:pk>/stock/", views.product_stock, name="stock"),
    path("staff/products/<int:pk>/image/", image_views.product_image, name="image"),
]
