"""The two channel layers of channels_redis, each on after×2, for measuring one against the other.

    Topology("after", 2, **LAYERS["core"])   # after/ with channels_redis.core.RedisChannelLayer

- pubsub: after/ as it ships, `live.layers.RedisPubSubChannelLayer` (Redis pub/sub, resyncs its pages
  after a reconnect), as the Redis user shop-channels, which may use its channels only.
- core: channels_redis' `RedisChannelLayer`, with its defaults. after/'s tree is not edited: its replicas
  run bench/core_layer_settings.py, after/'s settings with CHANNEL_LAYERS replaced, and connect as a Redis
  user of their own that only this measurement's Redis knows.

The core layer keeps its state in Redis keys: each group a sorted set `asgi:group:<group>`, each process's
messages a sorted set `asgispecific.<process>!` (the prefix "asgi" then the channel name, no colon) with an
in-flight backup `...!$inflight`; it sends with a Lua script (EVAL), receives with BZPOPMIN, and no
pub/sub at all (channels_redis 4.3.0, channels_redis/core.py). Hence its rules: keys `asgi*`, those
commands, and the ones its scripts call (ZRANGE, ZADD, ZCOUNT, EXPIRE, DEL). No channels.
"""

from __future__ import annotations

from harness import ROOT

CORE_USER = "shop-channels-core"
CORE_RULES = (
    "~asgi* -@all +ping +eval +bzpopmin +zadd +zcount +zrange +zrangebyscore +zremrangebyscore +zrem +zpopmin "
    "+expire +del +multi +exec"
)
LAYERS: dict[str, dict] = {
    "pubsub": {},
    "core": {
        "more_environment": {"DJANGO_SETTINGS_MODULE": "bench.core_layer_settings", "PYTHONPATH": str(ROOT)},
        "more_redis_users": {CORE_USER: ("REDIS_CHANNELS_CORE_PASSWORD", CORE_RULES)},
    },
}
