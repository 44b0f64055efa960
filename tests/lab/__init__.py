"""An edge lab: N simulated hosts, each a network namespace with its own ``dockerd``
behind a link shaped like ``tc netem`` would (netem in userspace over TUN: see wire.py),
reached over ssh:// or tcp:// with mutual TLS.

Start one with :func:`tests.lab.lab.start_lab` (or the ``lab`` session fixture in
``tests.lab.fixtures``); every namespace, daemon, link and directory it made is gone
when it stops, passed or failed (and, after a SIGKILL, at the next lab's start).
"""
