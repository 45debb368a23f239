from django.urls import path

from api import views

app_name = "api"
urlpatterns = [
    path("auth/token", views.TokenObtainView.as_view(), name="token"),
    path("auth/token/refresh", views.TokenRefreshView.as_view(), name="token-refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="logout"),
    path("auth/logout-everywhere", views.LogoutEverywhereView.as_view(), name="logout-everywhere"),
    path("me", views.MeView.as_view(), name="me"),
    path("products/", views.ProductListView.as_view(), name="products"),
    path("products/<int:pk>/", views.ProductDetailView.as_view(), name="product"),
    path("cart", views.CartView.as_view(), name="cart"),
    path("orders/", views.OrderListView.as_view(), name="orders"),
]
