from django.utils.text import slugify

_slugs: dict[str, str] = {}


def slug(name: str) -> str:
    if name not in _slugs:
        _slugs[name] = slugify(name)
    return _slugs[name]
