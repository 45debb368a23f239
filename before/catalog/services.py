from django.db import transaction

from catalog.models import Product
from live.broadcast import product_stock_broadcast


class StockError(ValueError):
    """The stock figure cannot be set; the message is shown to the staff member."""


# PositiveIntegerField's range on every database Django supports.
MAX_STOCK = 2_147_483_647


def parse_stock(raw) -> int:
    """A whole number of zero or more, or StockError with a message a person understands."""
    try:
        stock = int(str(raw).strip())
    except (TypeError, ValueError):
        raise StockError("Stock must be a whole number.") from None
    if stock < 0:
        raise StockError("Stock cannot be negative.")
    if stock > MAX_STOCK:
        raise StockError(f"Stock can be at most {MAX_STOCK}.")
    return stock


def product_set_stock(*, product: Product, stock: int) -> Product:
    if stock < 0:
        raise StockError("Stock cannot be negative.")
    with transaction.atomic():
        product.stock = stock
        product.save(update_fields=["stock", "updated_at"])
        transaction.on_commit(lambda: product_stock_broadcast(product_ids=[product.pk]), robust=True)
    return product
