"""The floor under a fan-out: a bare WebSocket server, no Django, Channels or Redis (bench/broker.py).

    python -m bench.floor_server   # prints its port, then serves until killed

Every socket but one on /publish is a page; a message sent on /publish goes to every page at once
(websockets' broadcast(), one write per socket, as a consumer's send does), under uvloop as uvicorn runs.
"""

import asyncio

import uvloop
from websockets.asyncio.server import broadcast, serve

pages: set = set()


async def handler(socket) -> None:
    if socket.request.path == "/publish":
        async for message in socket:
            broadcast(pages, message)
        return
    pages.add(socket)
    try:
        await socket.wait_closed()
    finally:
        pages.discard(socket)


async def main() -> None:
    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    uvloop.run(main())
