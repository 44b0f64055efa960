"""One package per target: aws (SageMaker), azure (Azure ML), kubernetes, edge (Docker hosts).

Each holds the same five modules: ``args`` (the location's inputs), ``plan`` (pure
decisions: names, policies, manifests), ``checks`` (the rules ``modelfleet validate``
and the component both apply), ``provider`` (how a location becomes a provider) and
``component`` (the resources). Package imports stay light: ``checks`` and ``plan`` must
load without the target's provider SDK, so ``validate`` never pays for one.
"""
