"""How a ``kubernetes`` location becomes the cluster provider its resources inherit."""

import pulumi

from modelfleet.args import LocationArgs


def build(
    name: str, location: LocationArgs, opts: pulumi.ResourceOptions
) -> pulumi.ProviderResource:
    """The provider of one placement, named ``<name>-provider``: a kubeconfig or a context."""
    import pulumi_kubernetes as k8s

    return k8s.Provider(
        f"{name}-provider",
        kubeconfig=location.get("kubeconfig"),
        context=location.get("context"),
        opts=opts,
    )
