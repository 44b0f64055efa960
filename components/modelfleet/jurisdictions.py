"""Where a location is, in the terms a regulator uses: ISO 3166-1 alpha-2 countries.

Cloud locations derive their jurisdiction from the region through the two tables
below (the one maintained place for it); Kubernetes and edge locations declare
theirs. Residency lists may name countries or the groups ``EU`` and ``EEA``.
"""

from collections.abc import Iterable

import pycountry

EU: frozenset[str] = frozenset(
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
        "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    }
)  # fmt: skip
EEA: frozenset[str] = EU | {"IS", "LI", "NO"}
GROUPS: dict[str, frozenset[str]] = {"EU": EU, "EEA": EEA}

AWS_REGIONS: dict[str, str] = {
    "af-south-1": "ZA",
    "ap-east-1": "HK",
    "ap-east-2": "TW",
    "ap-northeast-1": "JP",
    "ap-northeast-2": "KR",
    "ap-northeast-3": "JP",
    "ap-south-1": "IN",
    "ap-south-2": "IN",
    "ap-southeast-1": "SG",
    "ap-southeast-2": "AU",
    "ap-southeast-3": "ID",
    "ap-southeast-4": "AU",
    "ap-southeast-5": "MY",
    "ap-southeast-6": "NZ",
    "ap-southeast-7": "TH",
    "ca-central-1": "CA",
    "ca-west-1": "CA",
    "eu-central-1": "DE",
    "eu-central-2": "CH",
    "eu-north-1": "SE",
    "eu-south-1": "IT",
    "eu-south-2": "ES",
    "eu-west-1": "IE",
    "eu-west-2": "GB",
    "eu-west-3": "FR",
    "il-central-1": "IL",
    "me-central-1": "AE",
    "me-south-1": "BH",
    "mx-central-1": "MX",
    "sa-east-1": "BR",
    "us-east-1": "US",
    "us-east-2": "US",
    "us-west-1": "US",
    "us-west-2": "US",
}
"""Every AWS commercial region and the country its data centres are in."""

AZURE_REGIONS: dict[str, str] = {
    "australiacentral": "AU",
    "australiacentral2": "AU",
    "australiaeast": "AU",
    "australiasoutheast": "AU",
    "austriaeast": "AT",
    "belgiumcentral": "BE",
    "brazilsouth": "BR",
    "brazilsoutheast": "BR",
    "canadacentral": "CA",
    "canadaeast": "CA",
    "centralindia": "IN",
    "centralus": "US",
    "chilecentral": "CL",
    "denmarkeast": "DK",
    "eastasia": "HK",
    "eastus": "US",
    "eastus2": "US",
    "francecentral": "FR",
    "francesouth": "FR",
    "germanynorth": "DE",
    "germanywestcentral": "DE",
    "indonesiacentral": "ID",
    "israelcentral": "IL",
    "italynorth": "IT",
    "japaneast": "JP",
    "japanwest": "JP",
    "jioindiacentral": "IN",
    "jioindiawest": "IN",
    "koreacentral": "KR",
    "koreasouth": "KR",
    "malaysiawest": "MY",
    "mexicocentral": "MX",
    "newzealandnorth": "NZ",
    "northcentralus": "US",
    "northeurope": "IE",
    "norwayeast": "NO",
    "norwaywest": "NO",
    "polandcentral": "PL",
    "qatarcentral": "QA",
    "southafricanorth": "ZA",
    "southafricawest": "ZA",
    "southcentralus": "US",
    "southeastasia": "SG",
    "southindia": "IN",
    "spaincentral": "ES",
    "swedencentral": "SE",
    "swedensouth": "SE",
    "switzerlandnorth": "CH",
    "switzerlandwest": "CH",
    "uaecentral": "AE",
    "uaenorth": "AE",
    "uksouth": "GB",
    "ukwest": "GB",
    "westcentralus": "US",
    "westeurope": "NL",
    "westindia": "IN",
    "westus": "US",
    "westus2": "US",
    "westus3": "US",
}
"""Every Azure public-cloud region and the country its data centres are in."""


def is_country(code: str) -> bool:
    """True for an ISO 3166-1 alpha-2 code (upper case), as pycountry knows them."""
    return code.isupper() and pycountry.countries.get(alpha_2=code) is not None


def is_residency_code(code: str) -> bool:
    """True for a country code or a group name allowed in a residency list."""
    return code in GROUPS or is_country(code)


def expand(codes: Iterable[str]) -> frozenset[str]:
    """The set of countries a residency list (countries and groups) allows."""
    countries: set[str] = set()
    for code in codes:
        countries |= GROUPS.get(code, {code})
    return frozenset(countries)
