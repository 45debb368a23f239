from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import get_object_or_404, redirect, render

from catalog.images import ImageRejected, image_check_size, product_set_image
from catalog.models import Product

# Room for the multipart envelope around a file of the largest allowed size.
MULTIPART_OVERHEAD = 64 * 1024


@staff_member_required
def product_image(request, pk):
    """Staff upload or replace a product's picture (multipart field "image")."""
    product = get_object_or_404(Product, pk=pk)
    if request.method != "POST":
        return render(request, "catalog/product_image.html", {"product": product})
    try:
        # Refuse an oversized body by its announced length, before its file is looked at.
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        image_check_size(size=max(length - MULTIPART_OVERHEAD, 0))
        upload = request.FILES.get("image")
        if upload is None:
            raise ImageRejected("Choose an image file to upload.")
        product_set_image(product=product, upload=upload)
    except ImageRejected as error:
        context = {"product": product, "image_error": str(error)}
        return render(request, "catalog/product_image.html", context, status=error.status)
    messages.success(request, f"{product.name} has a new picture.")
    return redirect(product)
