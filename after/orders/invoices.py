"""Invoices: a PDF drawn with reportlab, saved to the default storage, kept on the order."""

import io
import uuid

from django.core.files.base import ContentFile
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from config.files import file_replace
from orders.models import Order


def invoice_render_pdf(*, order: Order) -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=True)
    pdf.setTitle(f"Invoice for order #{order.pk}")
    width, height = A4
    y = height - 25 * mm
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(20 * mm, y, f"Invoice for order #{order.pk}")
    pdf.setFont("Helvetica", 11)
    y -= 10 * mm
    pdf.drawString(20 * mm, y, f"Customer: {order.user.get_username()}")
    y -= 6 * mm
    pdf.drawString(20 * mm, y, f"Date: {order.created_at:%Y-%m-%d}")
    y -= 12 * mm
    for item in order.items.select_related("product"):
        pdf.drawString(20 * mm, y, f"{item.quantity} x {item.product.name}")
        pdf.drawRightString(width - 20 * mm, y, f"${item.subtotal}")
        y -= 6 * mm
        if y < 30 * mm:
            pdf.showPage()
            pdf.setFont("Helvetica", 11)
            y = height - 25 * mm
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawRightString(width - 20 * mm, y - 4 * mm, f"Total: ${order.total}")
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def invoice_generate(*, order: Order) -> Order:
    """Draw the invoice, store it under a fresh key, and keep it on the order; a previous one is removed after."""
    pdf = ContentFile(invoice_render_pdf(order=order))
    file_replace(instance=order, field="invoice", name=f"invoices/{uuid.uuid4().hex}.pdf", content=pdf)
    return order
