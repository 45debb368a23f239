import uuid

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from cart.cart import cart_clear, cart_key, cart_lines
from cart.views import render_cart
from orders.models import Order
from orders.services import CheckoutError, OrderStatusError, order_place, order_set_status


def parse_checkout_key(value: str | None) -> uuid.UUID | None:
    """The key the cart page puts in its checkout form; a form without one (a script's) gets the cart's."""
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise CheckoutError("This checkout form is damaged: reload the cart and try again.") from None


@require_POST
def checkout(request):
    if not request.user.is_authenticated:
        # Back to the cart after logging in: /checkout/ itself only takes POST.
        return redirect_to_login(reverse("cart:detail"))
    try:
        checkout_key = parse_checkout_key(request.POST.get("checkout_key")) or cart_key(request=request)
        order = order_place(user=request.user, lines=cart_lines(request=request), checkout_key=checkout_key)
    except CheckoutError as error:
        return render_cart(request, error=str(error), status=400)
    if order.checkout_key != cart_key(request=request):
        # An old checkout form, sent again: it placed this order before; the cart filled since is untouched.
        messages.info(request, f"This checkout had already placed order #{order.pk}; your cart is as you left it.")
        return redirect(order)
    cart_clear(request=request)
    messages.success(request, f"Thank you: order #{order.pk} is placed.")
    return redirect(order)


@login_required
def order_list(request):
    return render(request, "orders/order_list.html", {"orders": request.user.orders.all()})


def _visible_order(request, pk) -> Order:
    """The order, for its owner and for staff; 404 for everyone else, so ids reveal nothing."""
    orders = Order.objects.visible_to(request.user).select_related("user").prefetch_related("items__product")
    return get_object_or_404(orders, pk=pk)


@login_required
def order_detail(request, pk):
    return render(request, "orders/order_detail.html", {"order": _visible_order(request, pk)})


@staff_member_required
def staff_order_list(request):
    orders = Order.objects.select_related("user")
    return render(request, "orders/staff_order_list.html", {"orders": orders})


@staff_member_required
@require_POST
def order_status(request, pk):
    order = _visible_order(request, pk)
    try:
        order_set_status(order=order, status=request.POST.get("status", ""))
    except OrderStatusError as error:
        context = {"order": order, "status_error": str(error)}
        return render(request, "orders/order_detail.html", context, status=400)
    messages.success(request, f"Order #{order.pk} is now {order.get_status_display().lower()}.")
    return redirect(order)
