"""The demo catalog and two demo accounts. Safe to run again: it only creates what is missing."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from catalog.images import seed_product_image
from catalog.models import Product

PRODUCTS = [
    ("Enamel mug", "enamel-mug", "A speckled blue camping mug that survives the dishwasher.", "12.50", 40),
    ("Linen tea towel", "linen-tea-towel", "Stonewashed linen, dries glasses without lint.", "9.00", 60),
    ("Pour-over coffee dripper", "pour-over-dripper", "Ceramic dripper for one or two cups.", "24.00", 25),
    ("Cast iron skillet", "cast-iron-skillet", "Ten inches, pre-seasoned, will outlive us all.", "39.90", 15),
    ("Beeswax candle", "beeswax-candle", "Hand-dipped, burns for about eight hours.", "6.75", 80),
    ("Wool blanket", "wool-blanket", "Undyed wool from a mill that has run since 1890.", "89.00", 10),
    ("Wooden spoon set", "wooden-spoon-set", "Three spoons carved from cherry wood.", "18.00", 35),
]

# Demo accounts, also documented in docs/contract.md; the behavioral suite logs in as "staff".
ACCOUNTS = [
    ("staff", "staff-password-123", True),
    ("customer", "customer-password-123", False),
]


class Command(BaseCommand):
    help = "Create the demo products and the demo staff and customer accounts when they are missing."

    def handle(self, *args, **options):
        for name, slug, description, price, stock in PRODUCTS:
            product, created = Product.objects.get_or_create(
                slug=slug,
                defaults={"name": name, "description": description, "price": Decimal(price), "stock": stock},
            )
            seed_product_image(product=product)
            if created:
                self.stdout.write(f"product {slug} created")
        users = get_user_model()
        for username, password, is_staff in ACCOUNTS:
            user, created = users.objects.get_or_create(username=username, defaults={"is_staff": is_staff})
            if created:
                user.set_password(password)
                user.save(update_fields=["password"])
                self.stdout.write(f"user {username} created")
