#!/usr/bin/env python3
"""Opens N idle DAP streams (protocol version 1) to host:port and keeps them alive.

Each connection sends HELLO, then only answers the node's keepalive pings with pongs, so the
streams stay open and idle (no channels). Prints "open N" once all are set up, then runs until
killed. Used by scripts/startup-figures.sh for the resident-memory figure.
Usage: idle-streams.py HOST PORT N
"""
import asyncio
import struct
import sys

HEADER = struct.Struct("<IBIHB")  # size u32, type u8, seq_id u32, ch_id u16, flags u8
CONTROL, KEEPALIVE = 0x02, 0x03
HELLO = bytes([0x01]) + struct.pack("<HHQ", 1, 0, 0)  # kind, version 1, features 0, node 0


async def stream(host, port, ready):
    reader, writer = await asyncio.open_connection(host, port)
    seq = 0
    writer.write(HEADER.pack(len(HELLO), CONTROL, seq, 0, 0) + HELLO)
    seq += 1
    welcomed = False
    while True:
        size, ptype, _, ch, _ = HEADER.unpack(await reader.readexactly(HEADER.size))
        payload = await reader.readexactly(size)
        if ptype == CONTROL and ch == 0 and payload[0] == 0x02 and not welcomed:
            welcomed = True
            ready()
        elif ptype == KEEPALIVE and payload[0] == 0x00:  # ping: answer with pong, same timestamp
            pong = bytes([0x01]) + payload[1:9]
            writer.write(HEADER.pack(len(pong), KEEPALIVE, seq, 0, 0) + pong)
            seq += 1
        elif ptype in (0x04, 0x05) and ch == 0:  # CLOSE or ERROR for the stream
            print("stream ended by the node:", payload[2:].decode(errors="replace"), flush=True)
            return


async def main(host, port, n):
    count = 0
    done = asyncio.Event()

    def ready():
        nonlocal count
        count += 1
        if count == n:
            done.set()

    tasks = []
    for i in range(n):
        tasks.append(asyncio.create_task(stream(host, port, ready)))
        if i % 100 == 99:
            await asyncio.sleep(0.05)  # do not flood the accept queue
    await done.wait()
    print("open", count, flush=True)
    await asyncio.gather(*tasks)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
