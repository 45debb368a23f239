"""The channel layer: Redis pub/sub, which resyncs its pages after it reconnects to Redis.

Pub/sub delivers a message only to whoever is subscribed when it is published. While a replica is
cut off from Redis, and until redis-py has reconnected and subscribed again, what the other replicas
publish never reaches it; and channels-redis no longer calls its on_disconnect and on_reconnect
hooks (django/channels_redis#406). So once redis-py has subscribed again, every consumer of the
process gets a "live.resync" and sends its page the current value.
"""

import redis
from channels_redis import pubsub
from channels_redis.utils import decode_hosts


class _Shard(pubsub.RedisSingleShardConnection):
    _watched = None

    async def subscribe(self, channel):
        await super().subscribe(channel)
        connection = self._pubsub.connection
        if connection is not self._watched:
            # redis-py runs connect callbacks in order on every reconnect: its own subscribes again first.
            connection.register_connect_callback(self._reconnected)
            self._watched = connection

    async def _reconnected(self, connection):
        resync = self.channel_layer.channel_layer.serialize({"type": "live.resync"})
        for queue in self.channel_layer.channels.values():
            queue.put_nowait(resync)


class RedisPubSubChannelLayer(pubsub.RedisPubSubChannelLayer):
    def __init__(self, *args, hosts=None, **kwargs):
        # redis-py retries nothing unless told, and the subscriber's connection is read only while some
        # page is subscribed: a replica with no page open when Redis restarted still holds the dead
        # connection, and the next page's subscribe would fail on it. One retry reconnects first. Under
        # uvicorn's uvloop, writing to that connection raises RuntimeError ("the handler is closed"), not
        # ConnectionError: it is retried too.
        retried = [redis.ConnectionError, RuntimeError]
        hosts = [{"retry_on_error": retried, **host} for host in decode_hosts(hosts)]
        super().__init__(*args, hosts=hosts, **kwargs)

    def _get_layer(self):
        layer = super()._get_layer()  # one per event loop, made on first use
        if not isinstance(layer._shards[0], _Shard):
            layer._shards = [_Shard(shard.host, layer) for shard in layer._shards]
        return layer
