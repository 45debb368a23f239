"""Fixtures the apps' in-process tests share."""

from decimal import Decimal

import pytest

from catalog.models import Product


@pytest.fixture
def mug():
    return Product.objects.create(name="Mug", slug="mug", price=Decimal("12.50"), stock=5)


@pytest.fixture
def towel():
    return Product.objects.create(name="Towel", slug="towel", price=Decimal("9.00"), stock=2)


@pytest.fixture
def media_in_tmp(settings, tmp_path):
    """before/ writes to MEDIA_ROOT, kept out of the tree here; after/ talks to the S3 server `make unit` starts."""
    settings.MEDIA_ROOT = tmp_path
