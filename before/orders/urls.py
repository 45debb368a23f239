from django.urls import path

from orders import invoice_views, views

app_name = "orders"
urlpatterns = [
    path("checkout/", views.checkout, name="checkout"),
    path("orders/", views.order_list, name="list"),
    path("orders/<int:pk>/", views.order_detail, name="detail"),
    path("orders/<int:pk>/invoice/", invoice_views.order_invoice, name="invoice"),
    path("staff/orders/", views.staff_order_list, name="staff_list"),
    path("staff/orders/<int:pk>/status/", views.order_status, name="status"),
]
