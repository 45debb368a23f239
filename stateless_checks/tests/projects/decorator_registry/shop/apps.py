from django.apps import AppConfig

FORMATS = {}


class ShopConfig(AppConfig):
    name = "shop"

    def ready(self):
        from shop.registry import signal_name_add

        FORMATS["csv"] = "text/csv"
        signal_name_add("order_placed")
