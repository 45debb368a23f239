from django.conf import settings
from django.db import models
from django.urls import reverse

from catalog.models import Product


class OrderQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Every order for staff, a customer's own for a customer, none for anyone else."""
        if user.is_staff:
            return self
        return self.filter(user_id=user.pk) if user.is_authenticated else self.none()


class Order(models.Model):
    class Status(models.TextChoices):
        PLACED = "placed", "Placed"
        PACKED = "packed", "Packed"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="orders")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLACED)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    invoice = models.FileField(upload_to="invoices/", blank=True)
    # Sent with the checkout form: the same key again is the same order, not a second one.
    checkout_key = models.UUIDField(null=True, blank=True, editable=False)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "checkout_key"], name="order_checkout_key_unique")]

    def __str__(self):
        return f"Order #{self.pk}"

    def get_absolute_url(self):
        return reverse("orders:detail", args=[self.pk])


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=8, decimal_places=2)

    def __str__(self):
        return f"{self.quantity} x {self.product}"

    @property
    def subtotal(self):
        return self.unit_price * self.quantity
