"""Entry point for ``pulumi up``; the program lives in :mod:`program` so tests can run it inline."""

from program import main

main()
