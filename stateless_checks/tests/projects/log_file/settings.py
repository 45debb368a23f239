from common import *

LOGGING = {
    "version": 1,
    "handlers": {"file": {"class": "logging.FileHandler", "filename": "/var/log/shop/shop.log", "delay": True}},
    "root": {"handlers": ["file"]},
}
