from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from orders.invoices import invoice_generate
from orders.models import Order


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def order_invoice(request, pk):
    """POST draws the invoice; GET hands it over, to the order's owner and to staff only."""
    order = get_object_or_404(Order.objects.visible_to(request.user).select_related("user"), pk=pk)
    if request.method == "POST":
        invoice_generate(order=order)
        return redirect(order)
    if not order.invoice:
        return _missing(request, order, "This order has no invoice yet.")
    try:
        invoice = order.invoice.open("rb")
    except FileNotFoundError:
        return _missing(request, order, "Invoice file not found on this server.")
    return FileResponse(invoice, as_attachment=True, filename=f"invoice-{order.pk}.pdf", content_type="application/pdf")


def _missing(request, order, message):
    return render(request, "orders/invoice_missing.html", {"order": order, "message": message}, status=404)
