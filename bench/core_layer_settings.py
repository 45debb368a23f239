"""after/'s settings with channels_redis' core layer (RedisChannelLayer) in place of its pub/sub layer.

Only for measuring the two side by side (bench/layers.py starts after/'s replicas with this module as
DJANGO_SETTINGS_MODULE): after/ ships one layer, and its Redis user for it (shop-channels) may use pub/sub
channels only. Everything else is after/'s own settings, unchanged.
"""

from config.settings import *  # noqa: F403
from config.settings import env, redis_channel_host, redis_url

CHANNEL_LAYERS = {
    "default": {
        # capacity, expiry and group_expiry left at their defaults (100, 60 s, 24 h): the layer as it comes. But no read
        # timeout: redis-py 8 reads with a 5 s socket_timeout by default, and the layer blocks in BZPOPMIN for 5 s, so a
        # consumer that hears nothing for 5 s raises and drops its socket (django/channels_redis#422).
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    **redis_channel_host(redis_url("channels-core", env("REDIS_CHANNELS_CORE_PASSWORD"))),
                    "socket_timeout": None,
                }
            ]
        },
    },
}
