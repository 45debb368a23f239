"""Live updates on after-2: WebSocket clients on both replicas, the latency of each update and the fan-out.

The bench publishes on the Redis pub/sub channel layer as a replica does after a commit, and reads every
socket in its own event loop, so one clock times both ends.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict

from channels_redis.pubsub import RedisPubSubChannelLayer
from websockets.asyncio.client import connect

from harness import Topology, Visitor, live_url, product_group


class Audience:
    """WebSocket clients watching one product, each read by a task of its own that timestamps every
    message as it arrives (a waiter made per message and client would add its own cost to the figures)."""

    def __init__(self, sockets: list) -> None:
        self.sockets = sockets
        self.arrivals: dict[tuple, list[float]] = defaultdict(list)
        self.everyone: dict[tuple, asyncio.Event] = defaultdict(asyncio.Event)
        self.readers = [asyncio.create_task(self._read(socket)) for socket in sockets]

    @classmethod
    async def connect(cls, topology: Topology, product_id: int, clients: int) -> Audience:
        """`clients` sockets, alternately on replica A and B; each first gets the current stock."""
        sockets = []
        for index in range(clients):
            replica = topology.replica(index)
            sockets.append(await connect(live_url(replica, f"/ws/products/{product_id}/"), origin=replica.url))
        await asyncio.gather(*(socket.recv() for socket in sockets))
        return cls(sockets)

    async def _read(self, socket) -> None:
        async for raw in socket:
            at = time.perf_counter()
            message = json.loads(raw)
            key = next((name, message[name]) for name in ("seq", "burst", "stock") if name in message)
            self.arrivals[key].append(at)
            if len(self.arrivals[key]) == len(self.sockets):
                self.everyone[key].set()

    async def received(self, key: tuple) -> list[float]:
        """When each client got the message `key`, once all have."""
        await asyncio.wait_for(self.everyone[key].wait(), 30)
        del self.everyone[key]
        return self.arrivals.pop(key)

    async def close(self) -> None:
        for reader in self.readers:
            reader.cancel()
        await asyncio.gather(*(socket.close() for socket in self.sockets))


async def published(layer, audience: Audience, product_id: int, count: int, tag: str = "seq") -> list[float]:
    """`count` messages published one at a time (each once every client has the last): latencies in ms.
    One more goes first, not counted: the first publish opens the bench's own connection to Redis."""
    latencies: list[float] = []
    for number in range(-1, count):
        message = {"type": "stock", "product": product_id, "stock": 1, tag: number}
        start = time.perf_counter()
        await layer.group_send(product_group(product_id), {"type": "live.update", "message": message})
        arrivals = await audience.received((tag, number))
        if number >= 0:
            latencies += [(at - start) * 1000 for at in arrivals]
    return latencies


async def live_updates(topology: Topology, *, clients: int, messages: int, burst: int) -> dict:
    """Clients on both replicas of after-2 watch one product; messages are published in two ways.

    - publish: the bench publishes on the channel layer (Redis pub/sub) as a replica does after a commit;
      latency runs from the publish to each client's receipt (one clock: the bench is sender and receiver).
    - staff change: staff set the stock on replica B; latency runs from sending that request, so it
      includes the request itself.
    And fan-out: the same publish to audiences of other sizes, to show what the latency grows with.
    """
    staff = Visitor(topology.replica(1).url)
    staff.log_in_as_staff()
    layer = RedisPubSubChannelLayer(hosts=[{"address": topology.redis_admin_url}])
    fan_out: dict[int, list[float]] = {}
    for size in sorted({2, clients // 5, clients}):
        product_id, _ = staff.create_product(stock=1)
        audience = await Audience.connect(topology, product_id, size)
        try:
            fan_out[size] = await published(layer, audience, product_id, messages)
            if size != clients:
                continue
            staff_latencies: list[float] = []
            for number in range(max(messages // 10, 3)):
                stock = 1000 + number
                start = time.perf_counter()
                changed = await asyncio.to_thread(staff.post, f"/staff/products/{product_id}/stock/", {"stock": stock})
                if changed.status_code != 302:
                    raise RuntimeError(f"staff stock change: {changed.status_code}")
                staff_latencies += [(at - start) * 1000 for at in await audience.received(("stock", stock))]

            # Throughput: a burst published back to back, until every client has every message.
            start = time.perf_counter()
            for number in range(burst):
                message = {"type": "stock", "product": product_id, "stock": 1, "burst": number}
                await layer.group_send(product_group(product_id), {"type": "live.update", "message": message})
            finished = max(await audience.received(("burst", burst - 1)))
        finally:
            await audience.close()
    await layer.flush()
    return {
        "clients": clients,
        "publish": fan_out[clients],
        "fan_out": fan_out,
        "staff": staff_latencies,
        "burst_messages": burst,
        "deliveries_per_s": burst * clients / (finished - start),
    }
