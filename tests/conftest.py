"""Fixtures shared across tiers, registered once here so each is set up once a session.

A session fixture imported into two test modules is two fixtures to pytest, and each
would start its own control plane or registries; imported here, every tier below
shares one.
"""

from tests.kubernetes_cluster import kubernetes_cluster  # noqa: F401 - fixture, found by name
from tests.registry_fixtures import registries  # noqa: F401 - fixture, found by name
