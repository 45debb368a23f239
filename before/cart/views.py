from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cart.cart import CartError, cart_add, cart_key, cart_lines, cart_remove, cart_set, parse_quantity
from catalog.models import Product


def render_cart(request, *, error: str | None = None, status: int = 200):
    """The cart page; with an error (and a 4xx status) when a change or a checkout was refused."""
    lines = cart_lines(request=request)
    context = {
        "lines": lines,
        "total": sum(line.subtotal for line in lines),
        "error": error,
        "checkout_key": cart_key(request=request),
    }
    return render(request, "cart/cart.html", context, status=status)


def cart_detail(request):
    return render_cart(request)


@require_POST
def cart_add_view(request, product_id):
    product = get_object_or_404(Product, pk=product_id)
    try:
        cart_add(request=request, product=product, quantity=parse_quantity(request.POST.get("quantity")))
    except CartError as error:
        return render_cart(request, error=str(error), status=400)
    messages.success(request, f"{product.name} is in your cart.")
    return redirect("cart:detail")


@require_POST
def cart_update_view(request, product_id):
    product = get_object_or_404(Product, pk=product_id)
    try:
        cart_set(request=request, product=product, quantity=parse_quantity(request.POST.get("quantity")))
    except CartError as error:
        return render_cart(request, error=str(error), status=400)
    return redirect("cart:detail")


@require_POST
def cart_remove_view(request, product_id):
    product = get_object_or_404(Product, pk=product_id)
    cart_remove(request=request, product=product)
    return redirect("cart:detail")
