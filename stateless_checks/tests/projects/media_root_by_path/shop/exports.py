from pathlib import Path

from django.conf import settings


def export_write(*, name: str, data: bytes) -> Path:
    path = Path(settings.MEDIA_ROOT) / "exports" / name
    path.write_bytes(data)
    return path
