from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST
from django.views.generic import CreateView

from catalog.models import Product
from catalog.services import StockError, parse_stock, product_set_stock


def product_list(request):
    return render(request, "catalog/product_list.html", {"products": Product.objects.all()})


def product_detail(request, slug):
    product = get_object_or_404(Product, slug=slug)
    return render(request, "catalog/product_detail.html", {"product": product})


@method_decorator(staff_member_required, name="dispatch")
class ProductCreateView(CreateView):
    model = Product
    fields = ["name", "slug", "description", "price", "stock"]
    template_name = "catalog/product_form.html"

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        messages.success(self.request, f"{form.instance.name} is now in the shop.")
        return super().form_valid(form)


@staff_member_required
@require_POST
def product_stock(request, pk):
    product = get_object_or_404(Product, pk=pk)
    try:
        product_set_stock(product=product, stock=parse_stock(request.POST.get("stock")))
    except StockError as error:
        context = {"product": product, "stock_error": str(error)}
        return render(request, "catalog/product_detail.html", context, status=400)
    messages.success(request, f"{product.name}: {product.stock} in stock.")
    return redirect(product)
