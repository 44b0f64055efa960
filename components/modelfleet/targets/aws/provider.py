"""How an ``aws`` location becomes the AWS provider its resources are created with.

The region lives on one provider per location, not on each resource (v7's per-resource
``region``): one place holds the location's region and, later, its account and
credentials; the IAM role (global) is made with the same credentials; and the policy
pack reads the region off each resource's provider.
"""

from collections.abc import Mapping

import pulumi

from modelfleet.args import LocationArgs


def build(
    name: str, location: LocationArgs, opts: pulumi.ResourceOptions
) -> pulumi.ProviderResource:
    """The provider of one placement, named ``<name>-provider``."""
    import pulumi_aws as aws

    return aws.Provider(f"{name}-provider", region=location["aws"]["region"], opts=opts)


def given(opts: pulumi.ResourceOptions | None, package: str) -> pulumi.ProviderResource | None:
    """The ``package`` provider passed in ``opts`` (``provider=`` or ``providers=``), if any."""
    if opts is None:
        return None
    if opts.provider is not None and opts.provider.package == package:
        return opts.provider
    providers = opts.providers
    if isinstance(providers, Mapping):
        return providers.get(package)
    return next((p for p in providers or [] if p.package == package), None)
