import re

import pytest
from django.urls import reverse

from catalog.models import Product
from orders.invoices import invoice_generate
from orders.models import Order, OrderItem

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """before/ writes to MEDIA_ROOT, kept out of the tree here; after/ talks to the S3 server `make unit` starts."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def order(django_user_model):
    product = Product.objects.create(name="Wool blanket", slug="wool-blanket", price="89.00", stock=5)
    order = Order.objects.create(user=django_user_model.objects.create_user("ann"), total="178.00")
    OrderItem.objects.create(order=order, product=product, quantity=2, unit_price=product.price)
    return order


def test_an_invoice_is_a_pdf_stored_under_a_fresh_key_on_the_order(order):
    invoice_generate(order=order)

    order.refresh_from_db()
    assert re.fullmatch(r"invoices/[0-9a-f]{32}\.pdf", order.invoice.name)
    with order.invoice.open("rb") as pdf:
        data = pdf.read()
    assert data.startswith(b"%PDF-")
    assert b"%%EOF" in data[-32:]


def test_generating_again_replaces_the_file_and_removes_the_old_one(order, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invoice_generate(order=order)
    first = order.invoice.name

    with django_capture_on_commit_callbacks(execute=True):
        invoice_generate(order=order)

    assert order.invoice.name != first
    assert order.invoice.storage.exists(order.invoice.name)
    assert not order.invoice.storage.exists(first)


def test_the_owner_generates_then_downloads_the_invoice(client, order):
    client.force_login(order.user)

    generated = client.post(reverse("orders:invoice", args=[order.pk]))
    page = client.get(reverse("orders:detail", args=[order.pk]))
    download = client.get(reverse("orders:invoice", args=[order.pk]))

    assert generated.status_code == 302
    assert generated["Location"] == reverse("orders:detail", args=[order.pk])
    assert "Download invoice" in page.content.decode()
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


def test_another_customer_gets_404_for_someone_elses_invoice(client, order, django_user_model):
    invoice_generate(order=order)
    client.force_login(django_user_model.objects.create_user("mallory"))

    assert client.get(reverse("orders:invoice", args=[order.pk])).status_code == 404
    assert client.post(reverse("orders:invoice", args=[order.pk])).status_code == 404


def test_staff_can_download_any_invoice(client, order, django_user_model):
    invoice_generate(order=order)
    client.force_login(django_user_model.objects.create_user("boss", is_staff=True))

    assert client.get(reverse("orders:invoice", args=[order.pk])).status_code == 200


def test_an_order_without_an_invoice_gets_a_clear_404(client, order):
    client.force_login(order.user)

    response = client.get(reverse("orders:invoice", args=[order.pk]))

    assert response.status_code == 404
    assert "no invoice yet" in response.content.decode()


def test_an_invoice_missing_from_storage_gets_a_clear_404_not_a_500(client, order):
    invoice_generate(order=order)
    order.invoice.storage.delete(order.invoice.name)
    client.force_login(order.user)

    response = client.get(reverse("orders:invoice", args=[order.pk]))

    assert response.status_code == 404
    assert "Invoice file not found on this server" in response.content.decode()
