"""Product images: validated by decoding them with Pillow, stored under keys the server makes up."""

import io
import uuid
import warnings

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, UnidentifiedImageError

from catalog.models import Product
from config.files import file_replace

MAX_IMAGE_BYTES = 5 * 1024 * 1024
# Far above any product photo, far below what a decompression bomb asks Pillow to allocate.
MAX_IMAGE_PIXELS = 40_000_000
FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}
# What Pillow keeps in `info` that is part of the picture rather than about it.
KEPT_INFO = ("transparency",)


class ImageRejected(ValueError):
    """The upload is not accepted; nothing was saved. The message is shown to the staff member."""

    status = 400


class ImageTooLarge(ImageRejected):
    status = 413


def image_check_size(*, size: int | None) -> None:
    if size is not None and size > MAX_IMAGE_BYTES:
        raise ImageTooLarge(f"The image is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB.")


def image_validate(*, upload) -> ContentFile:
    """Decode the upload and re-encode its pixels: only a real image gets through, without trailing bytes."""
    image_check_size(size=upload.size)
    if not upload.size:
        raise ImageRejected("The file is empty.")
    upload.seek(0)
    data = upload.read(MAX_IMAGE_BYTES + 1)
    image_check_size(size=len(data))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in FORMATS:
                    raise ImageRejected("Upload a JPEG, PNG, GIF or WebP image.")
                if probe.width * probe.height > MAX_IMAGE_PIXELS:
                    raise ImageRejected("The image has too many pixels.")
                probe.verify()
            # verify() leaves the image unusable: open it again and decode every pixel.
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                fmt = image.format
                # Pixels only: a comment can carry a script, EXIF a location, an ICC profile a fingerprint.
                image.info = {key: image.info[key] for key in KEPT_INFO if key in image.info}
                encoded = io.BytesIO()
                image.save(encoded, format=fmt, quality=90)
    except ImageRejected:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("The file is not an image Pillow can read.") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ImageRejected("The image is damaged or incomplete.") from None
    return ContentFile(encoded.getvalue(), name=image_key(fmt=fmt))


def image_key(*, fmt: str) -> str:
    """A fresh name for every upload: the browser's filename never becomes part of a path."""
    return f"products/{uuid.uuid4().hex}.{FORMATS[fmt]}"


def product_set_image(*, product: Product, upload) -> Product:
    """Store a validated image and point the product at it; the old image goes only once the row says so."""
    content = image_validate(upload=upload)
    file_replace(instance=product, field="image", name=content.name, content=content, also_update=("updated_at",))
    return product


# -- demo images for seed_shop -------------------------------------------------------------------

PALETTE = ["#2f6f8f", "#b5523b", "#6b8e23", "#8a5a9e", "#c9a227", "#3b7d6e", "#a0522d", "#4b5d9c"]


def seed_product_image(*, product: Product) -> None:
    """Give a demo product a drawn picture, and write it to storage when this storage lacks it.

    Idempotent. In before/ every replica runs it against its own disk; in after/ the first run fills S3.
    """
    name = f"products/demo-{product.slug}.png"
    if product.image.name not in ("", name):
        return  # staff uploaded a real picture: leave it alone
    storage = product.image.storage
    if not storage.exists(name):
        saved = storage.save(name, ContentFile(_draw_demo_image(product)))
        if saved != name:  # another process wrote it meanwhile
            storage.delete(saved)
    if product.image.name != name:
        Product.objects.filter(pk=product.pk).update(image=name)
        product.image.name = name


def _draw_demo_image(product: Product) -> bytes:
    colour = PALETTE[sum(product.slug.encode()) % len(PALETTE)]
    image = Image.new("RGB", (480, 360), colour)
    draw = ImageDraw.Draw(image)
    draw.ellipse((150, 90, 330, 270), fill="#f4efe6")
    draw.text((24, 320), product.name, fill="#ffffff", font_size=28)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
