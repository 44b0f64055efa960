"""Federated training on the serving topology: Flower SuperLink at the aggregator,
a SuperNode per site, the result as the next serving image (docs/federation.md)."""
