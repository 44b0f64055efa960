"""How an ``azure`` location becomes the azure-native provider its resources inherit."""

import pulumi

from modelfleet.args import LocationArgs


def build(
    name: str, location: LocationArgs, opts: pulumi.ResourceOptions
) -> pulumi.ProviderResource:
    """The provider of one placement, named ``<name>-provider``, in the location's region."""
    import pulumi_azure_native as azure_native

    return azure_native.Provider(
        f"{name}-provider", location=location["azure"]["location"], opts=opts
    )
