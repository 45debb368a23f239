"""The JSON API. Clients authenticate with `Authorization: Bearer <access token>` from /api/auth/token.

The API's cart is the session cart the web pages use: a client that keeps cookies has one across
requests, a client that keeps none starts with an empty cart every time.
"""

import uuid
from decimal import Decimal

from django.contrib.auth import authenticate
from rest_framework import generics, status
from rest_framework.exceptions import AuthenticationFailed, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.serializers import (
    CartAddSerializer,
    CartLineSerializer,
    CredentialsSerializer,
    OrderSerializer,
    ProductSerializer,
    RefreshSerializer,
    UserSerializer,
)
from api.tokens import TokenError, token_obtain, token_refresh, token_revoke, token_revoke_all
from cart.cart import CartError, cart_add, cart_clear, cart_key, cart_lines
from catalog.models import Product
from orders.services import CheckoutError, order_place

# Idempotency-Key values are the client's own strings; each maps to one checkout key of the order's.
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1d3c64-8d0e-4a59-9a43-1c1b6ad0b0a1")


class TokenView(APIView):
    """Views that take credentials or a refresh token in the body, never an Authorization header."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request):
        # Without it DRF would turn the views' 401s into 403s.
        return 'Bearer realm="api"'


class TokenObtainView(TokenView):
    def post(self, request):
        serializer = CredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request, **serializer.validated_data)
        if user is None:
            raise AuthenticationFailed("No active account found with the given credentials")
        return Response(token_obtain(user=user))


class TokenRefreshView(TokenView):
    def post(self, request):
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            return Response(token_refresh(refresh=serializer.validated_data["refresh"]))
        except TokenError as exc:
            raise AuthenticationFailed(str(exc)) from None


class LogoutView(APIView):
    def post(self, request):
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token_revoke(access=str(request.auth), refresh=serializer.validated_data["refresh"])
        except TokenError as exc:
            raise AuthenticationFailed(str(exc)) from None
        return Response({"detail": "Logged out: every token of this login is refused from now on."})


class LogoutEverywhereView(APIView):
    """Every login of the account ends (a lost phone, a leaked token): its own endpoint, since it needs no
    refresh token and a client should never end every session by setting a flag on an ordinary logout."""

    def post(self, request):
        token_revoke_all(user=request.user)
        return Response({"detail": "Logged out everywhere: every token of this account is refused from now on."})


class MeView(APIView):
    def get(self, request):
        return Response(UserSerializer(request.user).data)


class ProductListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    queryset = Product.objects.all()
    serializer_class = ProductSerializer


class ProductDetailView(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    queryset = Product.objects.all()
    serializer_class = ProductSerializer


class CartView(APIView):
    def get(self, request):
        return Response(self.cart(request))

    def post(self, request):
        serializer = CartAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            cart_add(request=request, **serializer.validated_data)
        except CartError as exc:
            raise ValidationError({"quantity": [str(exc)]}) from None
        return Response(self.cart(request))

    @staticmethod
    def cart(request):
        lines = cart_lines(request=request)
        return {
            "lines": CartLineSerializer(lines, many=True).data,
            "total": str(sum((line.subtotal for line in lines), Decimal("0.00"))),
        }


class OrderListView(APIView):
    def get(self, request):
        orders = request.user.orders.prefetch_related("items__product")
        return Response(OrderSerializer(orders, many=True).data)

    def post(self, request):
        """Check out the session cart. An `Idempotency-Key` header (any string up to 255 characters) makes
        a resent checkout answer with the order it placed; without one, the cart's own key does."""
        key = request.headers.get("Idempotency-Key")
        if key is not None and not 0 < len(key) <= 255:
            return Response({"detail": "Idempotency-Key must be 1 to 255 characters."}, status=400)
        checkout_key = uuid.uuid5(IDEMPOTENCY_NAMESPACE, key) if key else cart_key(request=request)
        # A key that placed an order before, sent with whatever cart the client has now: that order, cart kept.
        replayed = bool(key) and request.user.orders.filter(checkout_key=checkout_key).exists()
        try:
            order = order_place(user=request.user, lines=cart_lines(request=request), checkout_key=checkout_key)
        except CheckoutError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        if not replayed:
            cart_clear(request=request)
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)
