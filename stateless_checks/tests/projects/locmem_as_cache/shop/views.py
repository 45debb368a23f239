from django.core.cache import cache
from django.http import JsonResponse
from django.views.decorators.cache import cache_page


@cache_page(60)
def front_page(request):
    return JsonResponse({"count": cache.get_or_set("product-count", lambda: 42, 60)})


def product(request, pk):
    data = cache.get(f"product:{pk}")
    if data is None:
        data = {"pk": pk}
        cache.set(f"product:{pk}", data, 60)
    return JsonResponse(data)
