import uuid
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from catalog.models import Product
from config.files import file_replace

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


@pytest.fixture
def product():
    return Product.objects.create(name="Enamel mug", slug="enamel-mug", price="12.50", stock=3)


def test_the_row_names_the_new_file_and_the_old_one_goes_once_that_is_committed(
    product, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = file_replace(instance=product, field="image", name="products/a.png", content=ContentFile(b"a"))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        second = file_replace(instance=product, field="image", name="products/b.png", content=ContentFile(b"b"))
    assert default_storage.exists(first)  # until the commit
    callbacks[0]()

    product.refresh_from_db()
    assert product.image.name == second
    assert default_storage.exists(second)
    assert not default_storage.exists(first)


def test_when_the_row_cannot_be_saved_the_new_file_goes_and_the_field_keeps_its_old_name(product, monkeypatch):
    kept = file_replace(instance=product, field="image", name="products/a.png", content=ContentFile(b"a"))
    never_named = f"products/{uuid.uuid4().hex}.png"
    monkeypatch.setattr(Product, "save", lambda *args, **kwargs: 1 / 0)

    with pytest.raises(ZeroDivisionError):
        file_replace(instance=product, field="image", name=never_named, content=ContentFile(b"b"))

    assert not default_storage.exists(never_named)
    assert product.image.name == kept
    assert default_storage.exists(kept)


def test_the_fields_named_in_also_update_are_saved_with_it(product):
    Product.objects.filter(pk=product.pk).update(updated_at=product.updated_at - timedelta(days=1))
    product.refresh_from_db()
    yesterday = product.updated_at

    file_replace(
        instance=product, field="image", name="products/a.png", content=ContentFile(b"a"), also_update=("updated_at",)
    )

    product.refresh_from_db()
    assert product.updated_at > yesterday
