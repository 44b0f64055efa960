"""netem in userspace: each lab link is a pair of TUN devices joined by this process,
which delays, jitters, drops and rate-limits every packet in each direction.

Why not ``tc netem``: this machine's kernel is built without ``sch_netem``
(``CONFIG_NET_SCH_NETEM`` is not set and there are no modules to load), and no other
built-in qdisc can delay packets. TUN is built in. Semantics follow netem's: a packet
is dropped with ``loss_pct``, else it waits for the link to be free (``rate_mbit``,
serialised like netem's ``rate``), then ``delay_ms`` (+- ``jitter_ms``), with at most
1000 packets in flight per direction (netem's default ``limit``).

Run by the lab: ``python -m tests.lab.wire --tag T --count N --control DIR``. It
creates ``mf<T><i>o`` / ``mf<T><i>i`` for every host ``i``, prints ``ready``, and on
SIGHUP applies ``DIR/shapes.json`` (``{"generation": g, "links": {"<i>": shape}}``),
then writes ``g`` to ``DIR/applied``. The devices vanish when it exits.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import random
import signal
import struct
import sys
from pathlib import Path

from tests.lab.network import Link, Shape

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
QUEUE_LIMIT = 1000
MAX_PACKET = 65536


def open_tun(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


class Direction:
    """Packets read from ``source`` and written, shaped, to ``sink``."""

    def __init__(self, loop: asyncio.AbstractEventLoop, source: int, sink: int) -> None:
        self.loop, self.source, self.sink = loop, source, sink
        self.shape = Shape()
        self.next_free = 0.0
        self.in_flight = 0
        self.dropped = 0
        loop.add_reader(source, self.readable)

    def readable(self) -> None:
        while True:
            try:
                packet = os.read(self.source, MAX_PACKET)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self.loop.remove_reader(self.source)
                return
            self.take(packet)

    def take(self, packet: bytes) -> None:
        shape = self.shape
        lost = shape.loss_pct and random.random() * 100 < shape.loss_pct
        if lost or self.in_flight >= QUEUE_LIMIT:
            self.dropped += 1
            return
        now = self.loop.time()
        departure = now
        if shape.rate_mbit:
            self.next_free = max(now, self.next_free) + len(packet) * 8 / (shape.rate_mbit * 1e6)
            departure = self.next_free
        delay = shape.delay_ms / 1000
        if shape.jitter_ms:
            delay += random.uniform(-shape.jitter_ms, shape.jitter_ms) / 1000
        self.in_flight += 1
        self.loop.call_at(departure + max(0.0, delay), self.emit, packet)

    def emit(self, packet: bytes) -> None:
        self.in_flight -= 1
        try:
            os.write(self.sink, packet)
        except OSError:
            self.dropped += 1


def apply(control: Path, directions: dict[int, tuple[Direction, Direction]]) -> None:
    wanted = json.loads((control / "shapes.json").read_text())
    for index, fields in wanted["links"].items():
        shape = Shape(**fields)
        for direction in directions[int(index)]:
            direction.shape = shape
    (control / "applied").write_text(str(wanted["generation"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.lab.wire")
    parser.add_argument("--tag", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--control", type=Path, required=True)
    args = parser.parse_args(argv)
    loop = asyncio.new_event_loop()
    directions = {}
    for index in range(args.count):
        link = Link.of(args.tag, index)
        outer, inner = open_tun(link.outer), open_tun(link.inner)
        directions[index] = (Direction(loop, outer, inner), Direction(loop, inner, outer))
    loop.add_signal_handler(signal.SIGHUP, apply, args.control, directions)
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    if (args.control / "shapes.json").exists():
        apply(args.control, directions)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    loop.run_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
