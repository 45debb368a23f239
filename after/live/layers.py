"""The channel layer: Redis pub/sub, which resyncs its pages after it reconnects to Redis.

Pub/sub delivers a message only to whoever is subscribed when it is published. While a replica is
cut off from Redis, and until redis-py has reconnected and subscribed again, what the other replicas
publish never reaches it; and channels-redis no longer calls its on_disconnect and on_reconnect
hooks (django/channels_redis#406). So once redis-py has subscribed again, every consumer of the
process gets a "live.resync" and sends its page the current value.

One connection per process carries every subscription, and two tasks use it: channels-redis' receive
task reads from it, and each page being opened writes a SUBSCRIBE to it. After Redis restarts both may
find it dead and remake it at once; redis-py's asyncio PubSub does not serialise that, and one of them
then fails ("readuntil() called while another coroutine is already waiting for incoming data", or a
write to a writer the other task has just closed), which the page saw as an HTTP 500 on its handshake.
The receive task logs it and reads again a second later; a page's subscribe tries again until a deadline.
"""

import asyncio

import redis
from channels_redis import pubsub
from channels_redis.utils import decode_hosts

# How long a page's subscribe keeps trying while the connection to Redis is being remade, and how often.
SUBSCRIBE_WITHIN = 3.0
SUBSCRIBE_EVERY = 0.1
# What a write to the connection raises while the other task has just closed it: redis-py's own error;
# uvloop's RuntimeError ("the handler is closed"); AttributeError on the writer redis-py set to None.
REMADE_UNDER_US = (redis.ConnectionError, RuntimeError, AttributeError)


class _Shard(pubsub.RedisSingleShardConnection):
    _watched = None

    async def subscribe(self, channel):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SUBSCRIBE_WITHIN
        while True:
            try:
                await super().subscribe(channel)  # under self._lock; redis-py connects first if it must
                break
            except REMADE_UNDER_US:
                if loop.time() >= deadline:
                    raise
                await asyncio.sleep(SUBSCRIBE_EVERY)
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
        # redis-py retries nothing unless told: a publish on a pooled connection Redis closed since would
        # fail, and the change it carries would reach no page; so would a subscribe on the subscriber's
        # connection, which nothing reads while no page is open. One retry reconnects first. Under uvicorn's
        # uvloop, writing to a closed connection raises RuntimeError ("the handler is closed"), not
        # ConnectionError: it is retried too.
        retried = [redis.ConnectionError, RuntimeError]
        hosts = [{"retry_on_error": retried, **host} for host in decode_hosts(hosts)]
        super().__init__(*args, hosts=hosts, **kwargs)

    def _get_layer(self):
        layer = super()._get_layer()  # one per event loop, made on first use
        if not isinstance(layer._shards[0], _Shard):
            layer._shards = [_Shard(shard.host, layer) for shard in layer._shards]
        return layer
