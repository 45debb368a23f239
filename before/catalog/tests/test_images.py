import io
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageCms

from catalog import images
from catalog.images import MAX_IMAGE_BYTES, ImageRejected, ImageTooLarge, image_validate, product_set_image
from catalog.models import Product

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


@pytest.fixture
def product():
    return Product.objects.create(name="Enamel mug", slug="enamel-mug", price="12.50", stock=3)


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("boss", is_staff=True))
    return client


def png(size=(16, 12), colour="#2f6f8f") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def upload(data: bytes, name="photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def test_an_image_is_stored_under_a_key_the_server_chose_never_the_browsers_filename(product):
    product_set_image(product=product, upload=upload(png(), name="../../config/settings.py.png"))

    assert re.fullmatch(r"products/[0-9a-f]{32}\.png", product.image.name)
    with default_storage.open(product.image.name) as stored, Image.open(stored) as image:
        assert image.size == (16, 12)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"just some text, honest", "text with a .png name"),
        (b"", "zero bytes"),
        (png()[:60], "a truncated PNG"),
        (b"GIF89a/*\x00\x00*/=alert(document.domain);//", "a GIF header in front of a script"),
        (b"<html><script>alert(1)</script></html>", "an HTML page"),
    ],
)
def test_a_file_pillow_cannot_decode_is_refused_and_nothing_changes(product, data, why):
    with pytest.raises(ImageRejected) as refused:
        product_set_image(product=product, upload=upload(data))

    assert refused.value.status == 400, why
    product.refresh_from_db()
    assert product.image.name == ""


def test_an_image_over_5_mb_is_refused_as_too_large(product):
    with pytest.raises(ImageTooLarge) as refused:
        product_set_image(product=product, upload=upload(png() + b"\0" * MAX_IMAGE_BYTES))

    assert refused.value.status == 413


def test_an_image_with_too_many_pixels_is_refused_before_it_is_decoded(product):
    out = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(out, format="PNG")  # a few KB that would decode to 50 megapixels

    with pytest.raises(ImageRejected):
        product_set_image(product=product, upload=upload(out.getvalue()))


def test_bytes_hidden_after_a_real_image_are_not_stored(product):
    product_set_image(product=product, upload=upload(png() + b"<script>alert(1)</script>"))

    with default_storage.open(product.image.name) as stored:
        assert b"<script>" not in stored.read()


def test_the_same_filename_uploaded_twice_gives_two_objects_and_the_old_one_goes(
    product, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        product_set_image(product=product, upload=upload(png(colour="red")))
    first = product.image.name

    with django_capture_on_commit_callbacks(execute=True):
        product_set_image(product=product, upload=upload(png(colour="blue")))

    assert product.image.name != first
    assert default_storage.exists(product.image.name)
    assert not default_storage.exists(first)


def test_when_the_row_cannot_be_saved_the_new_object_is_removed_and_the_old_image_stays(product, monkeypatch):
    product_set_image(product=product, upload=upload(png()))
    kept = product.image.name
    monkeypatch.setattr(images, "image_key", lambda *, fmt: "products/never-referenced.png")
    monkeypatch.setattr(Product, "save", lambda *args, **kwargs: 1 / 0)

    with pytest.raises(ZeroDivisionError):
        product_set_image(product=product, upload=upload(png(colour="green")))

    assert not default_storage.exists("products/never-referenced.png")
    product.refresh_from_db()
    assert product.image.name == kept
    assert default_storage.exists(kept)


def test_staff_upload_page_redirects_to_the_product_which_then_shows_the_picture(staff_client, product):
    response = staff_client.post(reverse("catalog:image", args=[product.pk]), {"image": upload(png())})

    assert response.status_code == 302
    page = staff_client.get(product.get_absolute_url())
    assert 'data-testid="product-image"' in page.content.decode()


def test_staff_upload_of_a_non_image_gets_400_with_a_message(staff_client, product):
    response = staff_client.post(reverse("catalog:image", args=[product.pk]), {"image": upload(b"not an image")})

    assert response.status_code == 400
    assert "not an image" in response.content.decode()


def test_staff_upload_without_a_file_gets_400_with_a_message(staff_client, product):
    response = staff_client.post(reverse("catalog:image", args=[product.pk]), {})

    assert response.status_code == 400
    assert "Choose an image file" in response.content.decode()


def test_customers_cannot_upload_pictures(client, django_user_model, product):
    client.force_login(django_user_model.objects.create_user("ann"))

    response = client.post(reverse("catalog:image", args=[product.pk]), {"image": upload(png())})

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.image.name == ""


def test_seeding_draws_a_demo_picture_once_and_leaves_uploaded_pictures_alone(product):
    images.seed_product_image(product=product)
    images.seed_product_image(product=product)

    assert product.image.name == "products/demo-enamel-mug.png"
    with default_storage.open(product.image.name) as stored, Image.open(stored) as image:
        assert image.format == "PNG"

    product_set_image(product=product, upload=upload(png()))
    uploaded = product.image.name
    images.seed_product_image(product=product)
    product.refresh_from_db()
    assert product.image.name == uploaded


def test_staff_see_the_upload_form_for_a_product(staff_client, product):
    response = staff_client.get(reverse("catalog:image", args=[product.pk]))

    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.content.decode()


def test_a_malformed_multipart_body_gets_400_not_500(staff_client, product):
    response = staff_client.generic(
        "POST",
        reverse("catalog:image", args=[product.pk]),
        b'--nope\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n\r\nxx',
        content_type="multipart/form-data; boundary=",
    )

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("fmt", "extra"),
    [
        ("JPEG", {"comment": b"<script>alert(1)</script>"}),
        ("GIF", {"comment": b"<script>alert(1)</script>"}),
        ("PNG", {"icc_profile": ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()}),
    ],
)
def test_the_stored_copy_keeps_no_metadata(fmt, extra):
    original = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(original, format=fmt, **extra)
    upload = SimpleUploadedFile("photo", original.getvalue())

    stored = Image.open(io.BytesIO(image_validate(upload=upload).read()))

    assert not set(extra) & set(stored.info), stored.info
