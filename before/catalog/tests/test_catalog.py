import pytest
from django.core.management import call_command
from django.urls import reverse

from catalog.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("sam", is_staff=True))
    return client


def test_the_home_page_lists_the_products_and_names_the_replica(client, mug):
    """The home page is the product list, and it says which replica rendered it."""
    response = client.get("/")

    assert response.status_code == 200
    assert b"Mug" in response.content
    assert b'data-testid="served-by"' in response.content


def test_the_product_page_shows_the_stock_figure_for_live_updates(client, mug):
    """The stock figure sits in the element live updates rewrite."""
    response = client.get(reverse("catalog:detail", args=["mug"]))

    assert f'<span data-testid="stock" data-product-id="{mug.pk}">5</span>'.encode() in response.content


def test_an_unknown_product_is_404(client):
    """A product that does not exist is a 404, never a 500."""
    assert client.get(reverse("catalog:detail", args=["no-such-thing"])).status_code == 404


def test_staff_change_the_stock(staff_client, mug):
    """Staff set a product's stock and land back on its page."""
    response = staff_client.post(reverse("catalog:stock", args=[mug.pk]), {"stock": "0"})

    assert response.status_code == 302
    assert response["Location"] == mug.get_absolute_url()
    mug.refresh_from_db()
    assert mug.stock == 0


@pytest.mark.parametrize("stock", ["-1", "many", "", "2.5"])
def test_a_stock_that_is_not_a_whole_number_of_zero_or_more_is_refused(staff_client, mug, stock):
    """A stock figure that makes no sense is a 400 with a reason, and the stock stays."""
    response = staff_client.post(reverse("catalog:stock", args=[mug.pk]), {"stock": stock})

    assert response.status_code == 400
    assert b'data-testid="error"' in response.content
    mug.refresh_from_db()
    assert mug.stock == 5


def test_the_stock_of_an_unknown_product_is_404(staff_client):
    """Setting the stock of a product that does not exist is a 404."""
    assert staff_client.post(reverse("catalog:stock", args=[999]), {"stock": "1"}).status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "customer"])
def test_only_staff_change_the_stock(client, django_user_model, mug, who):
    """Visitors and customers are sent to log in as staff; the stock stays."""
    if who == "customer":
        client.force_login(django_user_model.objects.create_user("cat"))

    response = client.post(reverse("catalog:stock", args=[mug.pk]), {"stock": "99"})

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    mug.refresh_from_db()
    assert mug.stock == 5


def test_staff_create_a_product(staff_client):
    """Staff add a product through the new-product form."""
    data = {"name": "Teapot", "slug": "teapot", "description": "", "price": "30.00", "stock": "3"}

    response = staff_client.post(reverse("catalog:create"), data)

    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:detail", args=["teapot"])
    assert Product.objects.get(slug="teapot").stock == 3


def test_a_product_with_a_taken_slug_or_a_negative_price_is_refused(staff_client, mug):
    """An invalid new product is a 400 with the form's errors, and nothing is saved."""
    data = {"name": "Mug again", "slug": "mug", "price": "-1", "stock": "3"}

    response = staff_client.post(reverse("catalog:create"), data)

    assert response.status_code == 400
    assert Product.objects.count() == 1


def test_customers_cannot_create_products(client, django_user_model):
    """Customers cannot add products."""
    client.force_login(django_user_model.objects.create_user("cat"))

    response = client.post(reverse("catalog:create"), {"name": "X", "slug": "x", "price": "1", "stock": "1"})

    assert response.status_code == 302
    assert not Product.objects.exists()


def test_seeding_twice_creates_the_demo_shop_once_and_keeps_changes(django_user_model):
    """seed_shop runs on every start: the second run creates nothing and resets nothing."""
    call_command("seed_shop")
    Product.objects.filter(slug="enamel-mug").update(stock=1)

    call_command("seed_shop")

    assert 6 <= Product.objects.count() <= 8
    assert Product.objects.get(slug="enamel-mug").stock == 1
    assert django_user_model.objects.get(username="staff").is_staff
    assert django_user_model.objects.get(username="customer").check_password("customer-password-123")
