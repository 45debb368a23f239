from django.http import JsonResponse

_carts: dict[int, list[int]] = {}


def cart_add(request, product_id):
    _carts.setdefault(request.user.pk, []).append(product_id)
    return JsonResponse({"items": _carts[request.user.pk]})
