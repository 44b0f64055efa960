"""``python -m tests.lab up N`` starts a lab and holds it until Ctrl-C (printing each
host's address); ``python -m tests.lab clean`` removes what killed runs left behind."""

from __future__ import annotations

import argparse
import signal
import sys

from tests.lab.lab import clean_stale, running_lab


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.lab", description=__doc__)
    parser.add_argument("command", choices=("up", "clean"))
    parser.add_argument("hosts", type=int, nargs="?", default=3)
    parser.add_argument("--image", help="load this image into every engine first")
    args = parser.parse_args(argv)
    if args.command == "clean":
        clean_stale()
        return 0
    with running_lab(args.hosts, image=args.image) as lab:
        for host in lab.hosts:
            print(f"{host.name}  {host.docker_host}  (local socket {host.socket})", flush=True)
        print(f"ssh: PATH={lab.ssh_bin}:$PATH; Ctrl-C stops the lab", flush=True)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    return 0


if __name__ == "__main__":
    sys.exit(main())
