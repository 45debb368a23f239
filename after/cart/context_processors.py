from cart.cart import cart_count


def cart(request):
    """The number of items in the cart, for the header of every page."""
    if not hasattr(request, "session"):
        return {}
    return {"cart_count": cart_count(request=request)}
