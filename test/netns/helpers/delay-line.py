#!/usr/bin/env python3
"""A lossy, slow Ethernet link in user space, for network-namespace tests.

reliability.md X3 asks for a path with 10% loss and 200 +/- 50 ms delay. The kernel's own tool
for that is tc netem (sch_netem), but kernels built without it (CI's among them) have nothing
else that delays packets, so this does netem's job between two interfaces of one namespace:

    port (an existing interface, read and written raw)  <->  tap (created here, gets the address)

Every Ethernet frame that arrives on one side leaves on the other after `delay +/- jitter` ms
(uniform, so packets may be reordered, as with netem's jitter) unless it is dropped, with
probability `loss`. ARP is delayed but never dropped, so the link keeps its neighbours. It runs
until SIGTERM or SIGINT, then prints what it did as one JSON line on stdout.

Python because the tap needs an ioctl (TUNSETIFF) that Node cannot make; standard library only.
"""

import argparse
import fcntl
import heapq
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
ETH_P_ALL = 0x0003
ETHERTYPE_ARP = b"\x08\x06"
MAX_FRAME = 65536


def open_tap(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def open_port(name: str) -> socket.socket:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((name, 0))
    sock.setblocking(False)
    return sock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", required=True, help="existing interface, read and written raw")
    parser.add_argument("--tap", required=True, help="tap interface to create")
    parser.add_argument("--loss", type=float, required=True, help="drop probability, 0..1")
    parser.add_argument("--delay-ms", type=float, required=True)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    tap = open_tap(args.tap)
    port = open_port(args.port)
    stats = {"toTap": 0, "toPort": 0, "dropped": 0, "arp": 0, "failed": 0}
    queue: list = []
    order = 0
    running = True

    def stop(_signum: int, _frame: object) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("ready", flush=True)

    def take(frame: bytes, to_tap: bool, now: float) -> None:
        nonlocal order
        arp = frame[12:14] == ETHERTYPE_ARP
        if arp:
            stats["arp"] += 1
        elif rng.random() < args.loss:
            stats["dropped"] += 1
            return
        delay = args.delay_ms + rng.uniform(-args.jitter_ms, args.jitter_ms)
        heapq.heappush(queue, (now + max(delay, 0.0) / 1000.0, order, to_tap, frame))
        order += 1

    while running:
        timeout = max(queue[0][0] - time.monotonic(), 0.0) if queue else 0.5
        try:
            readable, _, _ = select.select([tap, port], [], [], timeout)
        except InterruptedError:
            continue
        now = time.monotonic()
        if tap in readable:
            while True:
                try:
                    take(os.read(tap, MAX_FRAME), False, now)
                except BlockingIOError:
                    break
        if port in readable:
            while True:
                try:
                    frame, address = port.recvfrom(MAX_FRAME)
                except BlockingIOError:
                    break
                # Our own sends on the port come back to a packet socket as outgoing: skip them.
                if address[2] != socket.PACKET_OUTGOING:
                    take(frame, True, now)
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, to_tap, frame = heapq.heappop(queue)
            try:
                if to_tap:
                    os.write(tap, frame)
                    stats["toTap"] += 1
                else:
                    port.send(frame)
                    stats["toPort"] += 1
            except OSError:
                stats["failed"] += 1

    print(json.dumps(stats), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
