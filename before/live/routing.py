from django.urls import path

from live.consumers import OrderStatusConsumer, ProductStockConsumer

websocket_urlpatterns = [
    path("ws/products/<int:product_id>/", ProductStockConsumer.as_asgi()),
    path("ws/orders/<int:order_id>/", OrderStatusConsumer.as_asgi()),
]
