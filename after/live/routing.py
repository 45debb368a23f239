from django.urls import path, re_path

from live.consumers import NoSuchSocket, OrderStatusConsumer, ProductStockConsumer

websocket_urlpatterns = [
    path("ws/products/<int:product_id>/", ProductStockConsumer.as_asgi()),
    path("ws/orders/<int:order_id>/", OrderStatusConsumer.as_asgi()),
    re_path(r"", NoSuchSocket.as_asgi()),
]
