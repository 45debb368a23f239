import importlib

_reportlab = None
_yaml = None
_pillow = None


def reportlab():
    global _reportlab
    if _reportlab is not None:
        return _reportlab
    _reportlab = importlib.import_module("reportlab")
    return _reportlab


def yaml():
    global _yaml
    import json

    _yaml = json
    return _yaml


def pillow():
    global _pillow
    _pillow = importlib.import_module("PIL")
    return _pillow
