from rest_framework import serializers

from cart.cart import CartError, parse_quantity
from catalog.models import Product
from orders.models import Order, OrderItem


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False)


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "name", "slug", "description", "price", "stock"]


class CartAddSerializer(serializers.Serializer):
    # An integer first: PrimaryKeyRelatedField would hand 1e400 (infinity) to the database and fail with a 500.
    product = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    # A string field, so the web form and the API share parse_quantity and its messages.
    quantity = serializers.CharField(default="1")

    def validate_product(self, value):
        try:
            return Product.objects.get(pk=value)
        except Product.DoesNotExist:
            raise serializers.ValidationError(f'Invalid pk "{value}" - object does not exist.') from None

    def validate_quantity(self, value):
        try:
            return parse_quantity(value)
        except CartError as exc:
            raise serializers.ValidationError(str(exc)) from None


class CartLineSerializer(serializers.Serializer):
    product = serializers.IntegerField(source="product.pk")
    name = serializers.CharField(source="product.name")
    price = serializers.DecimalField(source="product.price", max_digits=8, decimal_places=2)
    quantity = serializers.IntegerField()
    subtotal = serializers.DecimalField(max_digits=10, decimal_places=2)


class OrderItemSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="product.name")

    class Meta:
        model = OrderItem
        fields = ["product", "name", "quantity", "unit_price"]


class OrderSerializer(serializers.ModelSerializer):
    items = OrderItemSerializer(many=True)

    class Meta:
        model = Order
        fields = ["id", "status", "total", "created_at", "items"]
