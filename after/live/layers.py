"""The channel layer: Redis pub/sub, which resyncs its pages after it reconnects to Redis.

Pub/sub delivers a message only to whoever is subscribed when it is published. While a replica is
cut off from Redis, and until redis-py has reconnected and subscribed again, what the other replicas
publish never reaches it; and channels-redis no longer calls its on_disconnect and on_reconnect
hooks (django/channels_redis#406). So once redis-py has subscribed again, every consumer of the
process gets a "live.resync" and sends its page the current value.
"""

from channels_redis import pubsub


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
    def _get_layer(self):
        layer = super()._get_layer()  # one per event loop, made on first use
        if not isinstance(layer._shards[0], _Shard):
            layer._shards = [_Shard(shard.host, layer) for shard in layer._shards]
        return layer
