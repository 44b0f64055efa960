"""Every rule modelfleet enforces, declared once: its id, its message, and where it is checked.

A rule may be checked in several places on purpose (``modelfleet validate`` catches it in
a pull request, the target refuses it again while the program runs, the policy pack
refuses what slipped past both); the places differ, the wording does not.
``docs/rules.md`` is generated from :data:`RULES` (``scripts/generate-rules-doc``), so a
newcomer finds where a rule lives in one step.

How a check uses a rule
-----------------------
Declare the rule here, never in the module that checks it, then format its message with
:meth:`Rule.text`; the caller only adds *where* (a key path, a location, a host)::

    from modelfleet import rulebook
    from modelfleet.stackfile import ConfigIssue

    if is_tcp and host.tls is None:
        issues.append(ConfigIssue(f"{path}.docker_host", rulebook.EDGE_PLAIN_TCP.text()))

    # at target build time, the same words behind the target's own error class:
    raise EdgeHostError(rulebook.EDGE_PLAIN_TCP.at(str(target)))

    # in a policy check:
    findings.violation(rulebook.EDGE_PLAIN_TCP.at(f"Docker host {host!r}"))

    # in a pydantic validator (pydantic reports it at the field's key path):
    raise ValueError(rulebook.AWS_REGION.text(region=self.region))

A target's ``checks.py`` holds the check functions, called both by ``modelfleet validate``
and by the component; it imports its rules from here (``rulebook.AWS_IMAGE_SOURCE``) and
adds a ``checked`` place here when it starts checking a rule somewhere new. A new rule is
one :func:`rule` call below (``scripts/generate-rules-doc`` then refreshes the doc).
Policies take their name and description from their rule (``name=rule.id``,
``description=rule.message``), so the table lists every policy too.
"""

import string
from dataclasses import dataclass
from enum import StrEnum


class Check(StrEnum):
    """Where a rule is checked."""

    VALIDATE = "validate"
    """``modelfleet validate`` (and ``plan``), and the program before any resource."""
    PLAN = "plan"
    """``modelfleet plan``'s placement verdicts."""
    TARGET = "target build"
    """The target's component, while the Pulumi program builds its resources."""
    POLICY = "policy pack"
    """The CrossGuard pack, on the real properties of resources."""


@dataclass(frozen=True)
class Rule:
    """One rule: what it says when broken, where it is checked and what it is about."""

    id: str
    """Stable kebab-case id; for a policy, the policy's name."""
    message: str
    """The words a user sees, with ``{placeholders}`` filled by :meth:`text`."""
    checked: tuple[Check, ...]
    """Every place that checks it."""
    key: str | None = None
    """Key path it is about, ``<model>``/``<location>``/``<i>`` standing for names."""
    policy: str | None = None
    """The policy that checks it too, if any."""

    def text(self, **values: object) -> str:
        """The message with its placeholders filled: exactly its own, no more, no fewer."""
        if set(values) != self.placeholders():
            raise TypeError(
                f"rule {self.id!r} takes {sorted(self.placeholders())}, given {sorted(values)}"
            )
        return self.message.format(**values)

    def at(self, subject: str, **values: object) -> str:
        """The message prefixed by what it is about: ``"host a: plain tcp:// is refused ..."``."""
        return f"{subject}: {self.text(**values)}"

    def placeholders(self) -> set[str]:
        """The names :meth:`text` needs."""
        return {name for _, name, _, _ in string.Formatter().parse(self.message) if name}


RULES: dict[str, Rule] = {}
"""Every rule, by id, in declaration order."""

VALIDATE, PLAN, TARGET, POLICY = Check.VALIDATE, Check.PLAN, Check.TARGET, Check.POLICY


def rule(
    rule_id: str, message: str, *checked: Check, key: str | None = None, policy: str | None = None
) -> Rule:
    """Declare and register a rule; ids are unique."""
    if rule_id in RULES:
        raise ValueError(f"rule {rule_id!r} is declared twice")
    if not checked:
        raise ValueError(f"rule {rule_id!r} is checked nowhere")
    RULES[rule_id] = declared = Rule(rule_id, message, tuple(checked), key, policy)
    return declared


_M, _L = "modelfleet:models.<model>", "modelfleet:locations.<location>"

# --- stack file shape (stackfile.py turns pydantic's errors into these) ------------------

UNKNOWN_KEY = rule("config-unknown-key", "unknown key", VALIDATE, key="any key")
MISSING_KEY = rule(
    "config-missing-key", "required key is missing", VALIDATE, key="any required key"
)
UNKNOWN_SECTION = rule(
    "config-unknown-section",
    "unknown key (expected one of: {sections})",
    VALIDATE,
    key="modelfleet:<section>",
)
LOCATION_KIND_MISSING = rule(
    "config-location-kind-missing", "missing `kind` (one of: {kinds})", VALIDATE, key=f"{_L}.kind"
)
LOCATION_KIND_UNKNOWN = rule(
    "config-location-kind-unknown",
    "unknown kind {kind!r} (one of: {kinds})",
    VALIDATE,
    key=f"{_L}.kind",
)
NAME = rule(
    "config-name",
    "{name!r} is not a name: use a DNS label (a-z, 0-9, '-', at most 40)",
    VALIDATE,
    key="names of models, locations, hosts",
)
SECRET_VALUE = rule(
    "config-secret-value",
    "expected a string or an encrypted value {{secure: ...}}",
    VALIDATE,
    key="every secret-typed key",
)
SECRET_IN_PLAINTEXT = rule(
    "config-secret-in-plaintext",
    "a secret given in plain text would be committed in clear: set it with "
    "`pulumi config set --secret --path '{path}' <value>`",
    VALIDATE,
    key="every secret-typed key (tls.key, secret_env, registry_auth.password, kubeconfig)",
)

# --- models ----------------------------------------------------------------------------

IMAGE_REFERENCE = rule(
    "model-image-reference",
    "not an image reference: expected [registry/]path[:tag][@sha256:<64 hex>]",
    VALIDATE,
    key=f"{_M}.image",
)
HTTP_PATH = rule(
    "model-http-path", "must start with '/'", VALIDATE, key=f"{_M}.health_path, {_M}.invoke_path"
)
ENV_NAME = rule(
    "model-env-name",
    "{name!r} is not an environment variable name",
    VALIDATE,
    key=f"{_M}.env, {_M}.secret_env",
)
SCALING_BOUNDS = rule(
    "model-scaling-bounds", "max ({max}) is below min ({min})", VALIDATE, key=f"{_M}.scaling"
)
RESIDENCY_CODE = rule(
    "model-residency-code",
    "unknown jurisdiction {codes}: use ISO 3166-1 alpha-2 country codes or the groups EU, EEA",
    VALIDATE,
    key=f"{_M}.data.residency",
)
RESIDENCY_REQUIRED = rule(
    "model-residency-required",
    "required for {classification} data",
    VALIDATE,
    key=f"{_M}.data.residency",
)

# --- placements ------------------------------------------------------------------------

PLACEMENT_MODEL = rule(
    "placement-model-exists", "no model of that name", VALIDATE, key="modelfleet:placements.<model>"
)
PLACEMENT_LOCATION = rule(
    "placement-location-exists",
    "no location named {location!r}",
    VALIDATE,
    key="modelfleet:placements.<model>[<i>]",
)
PLACEMENT_TWICE = rule(
    "placement-listed-once",
    "{location!r} is listed twice",
    VALIDATE,
    key="modelfleet:placements.<model>[<i>]",
)
RESIDENCY = rule(
    "modelfleet-residency",
    "No model's resources lie outside the jurisdictions its data may be processed in, "
    "and restricted data is on no public endpoint.",
    PLAN,
    POLICY,
    policy="modelfleet-residency",
)
OUTSIDE_RESIDENCY = rule(
    "placement-inside-residency",
    "{jurisdiction} is outside the model's residency ({residency})",
    PLAN,
    POLICY,
    key=f"{_M}.data.residency",
    policy="modelfleet-residency",
)
POLICY_JURISDICTIONS = rule(
    "placement-policy-jurisdictions",
    "policy allows {classification} data only in {allowed}, not {jurisdiction}",
    PLAN,
    POLICY,
    key="policy config allowed_jurisdictions",
    policy="modelfleet-residency",
)
RESTRICTED_PUBLIC = rule(
    "placement-restricted-not-public",
    "restricted data on a public endpoint: {because}",
    PLAN,
    POLICY,
    key=f"{_L}.subnet_ids, {_L}.hosts[<i>].bind",
    policy="modelfleet-residency",
)

# --- any location ----------------------------------------------------------------------

LOCATION_REGISTRY = rule(
    "location-registry",
    "{registry!r} is not a registry: expected host[:port][/path], e.g. "
    "registry.plant-lyon.example:5000 or 111122223333.dkr.ecr.eu-central-1.amazonaws.com/ml",
    VALIDATE,
    key=f"{_L}.registry",
)
COUNTRY = rule(
    "location-country",
    "{code!r} is not an ISO 3166-1 alpha-2 country code (e.g. DE, FR, US)",
    VALIDATE,
    key=f"{_L}.jurisdiction",
)

# --- aws -------------------------------------------------------------------------------

AWS_REGION = rule(
    "aws-region-known", "unknown AWS region {region!r}", VALIDATE, TARGET, key=f"{_L}.region"
)
AWS_VPC_PAIR = rule(
    "aws-vpc-subnets-and-groups",
    "set both subnet_ids and security_group_ids for an endpoint in a VPC, or neither",
    VALIDATE,
    TARGET,
    key=f"{_L}.subnet_ids, {_L}.security_group_ids",
)
AWS_SERVERLESS_VPC = rule(
    "aws-serverless-outside-vpc",
    "SageMaker Serverless Inference cannot run in a VPC: remove serverless, "
    "or subnet_ids and security_group_ids",
    VALIDATE,
    TARGET,
    key=f"{_L}.serverless",
)
AWS_IMAGE_SOURCE = rule(
    "aws-image-source",
    "image {image!r}: SageMaker in {region} pulls only from Amazon ECR in its own region "
    "(<account>.dkr.ecr.{region}.amazonaws.com[/prefix]: set the location's registry, or "
    "name an ECR image whose replica is there) or, for an endpoint in a VPC (subnet_ids "
    "and security_group_ids), from a private registry reachable there",
    VALIDATE,
    TARGET,
    key=f"{_M}.image, {_L}.registry",
)
AWS_ARTIFACT_S3 = rule(
    "aws-artifact-s3",
    "artifact {uri!r}: SageMaker loads model artifacts from S3 only "
    "(s3://<bucket>/<key>, in the endpoint's region)",
    VALIDATE,
    TARGET,
    key=f"{_M}.artifact",
)
AWS_HOSTING_CONTRACT = rule(
    "aws-hosting-contract",
    "{key} is {given!r}, but SageMaker only calls {expected!r} "
    "(its hosting contract: port 8080, GET /ping, POST /invocations)",
    VALIDATE,
    TARGET,
    key=f"{_M}.port, {_M}.health_path, {_M}.invoke_path",
)
SAGEMAKER_KMS = rule(
    "aws-sagemaker-endpointconfig-kms",
    "SageMaker endpoint configurations for confidential or restricted data "
    "encrypt their storage with a KMS key.",
    POLICY,
    key=f"{_L}.kms_key_arn",
    policy="aws-sagemaker-endpointconfig-kms",
)
SAGEMAKER_ISOLATION = rule(
    "aws-sagemaker-model-isolation",
    "SageMaker models for restricted data run in a VPC with network isolation.",
    POLICY,
    key=f"{_L}.subnet_ids, {_L}.security_group_ids",
    policy="aws-sagemaker-model-isolation",
)

# --- azure -----------------------------------------------------------------------------

AZURE_REGION = rule(
    "azure-region-known", "unknown Azure region {region!r}", VALIDATE, key=f"{_L}.location"
)
AZURE_ARC_JURISDICTION = rule(
    "azure-arc-jurisdiction",
    "set jurisdiction exactly when compute is set: an Arc cluster's country "
    "cannot be derived from the workspace region",
    VALIDATE,
    key=f"{_L}.jurisdiction, {_L}.compute",
)
AZURE_SECRET_ENV = rule(
    "azure-no-secret-env",
    "placed at Azure ML location {location!r}, where deployment environment variables are "
    "readable by anyone who can read the workspace: let the image read them from Key Vault "
    "with the endpoint's managed identity",
    VALIDATE,
    TARGET,
    key=f"{_M}.secret_env",
)
AZURE_ROLLOUT_PERCENT = rule(
    "azure-rollout-percent",
    "rollout.{key} must be a plain integer from 0 to 100 "
    "(it decides the traffic split when the program runs), got {value!r}",
    VALIDATE,
    TARGET,
    key=f"{_L}.rollout.canary_percent, {_L}.rollout.mirror_percent",
)
AZURE_MIRROR_NEEDS_PREVIOUS = rule(
    "azure-rollout-mirror-needs-previous",
    "rollout.mirror_percent needs rollout.previous_version, "
    "the deployment that keeps answering while the new one gets the copy",
    VALIDATE,
    TARGET,
    key=f"{_L}.rollout.mirror_percent",
)
AZURE_PREVIOUS_DIFFERS = rule(
    "azure-rollout-previous-differs",
    "rollout.previous_version {previous!r} names the same deployment ({deployment}) as "
    "version {version!r}: set it to the version serving now",
    VALIDATE,
    TARGET,
    key=f"{_L}.rollout.previous_version",
)
AZURE_MIRROR_ON_ARC = rule(
    "azure-rollout-no-mirror-on-arc",
    "rollout.mirror_percent is not supported on Kubernetes (Arc) online endpoints: set it to 0",
    VALIDATE,
    TARGET,
    key=f"{_L}.rollout.mirror_percent",
)
AZURE_LIVE_OR_MIRROR = rule(
    "azure-rollout-live-or-mirror",
    "a deployment takes live or mirrored traffic, not both: "
    "set rollout.canary_percent to 0 while rollout.mirror_percent is above 0",
    VALIDATE,
    TARGET,
    key=f"{_L}.rollout.canary_percent",
)
AZURE_NO_PUBLIC_ACCESS = rule(
    "azure-ml-endpoint-no-public-access",
    "Azure ML online endpoints for confidential or restricted data refuse public network access.",
    POLICY,
    policy="azure-ml-endpoint-no-public-access",
)

# --- kubernetes ------------------------------------------------------------------------

K8S_ONE_WAY_IN = rule(
    "kubernetes-one-way-in",
    "set exactly one of kubeconfig or context",
    VALIDATE,
    key=f"{_L}.kubeconfig, {_L}.context",
)
K8S_NAMESPACE_SHARED = rule(
    "kubernetes-namespace-created-once",
    "models {models} are placed here, and each would create namespace {namespace!r} as a "
    "resource of its own (the second create fails on the cluster): create the namespace "
    "once outside modelfleet and set create_namespace to false, or place one model here",
    VALIDATE,
    key=f"{_L}.create_namespace",
)
K8S_DEPLOYMENT_HARDENED = rule(
    "kubernetes-deployment-hardened",
    "Kubernetes Deployments run unprivileged, non-root containers with cpu and "
    "memory limits, off the host network and host paths.",
    POLICY,
    policy="kubernetes-deployment-hardened",
)
K8S_NETWORKPOLICY = rule(
    "kubernetes-networkpolicy-required",
    "Every Kubernetes Deployment of restricted data has a NetworkPolicy in its "
    "namespace that selects its pods.",
    POLICY,
    policy="kubernetes-networkpolicy-required",
)

# --- edge ------------------------------------------------------------------------------

_H = f"{_L}.hosts[<i>]"
EDGE_DOCKER_HOST_URL = rule(
    "edge-docker-host-url",
    "expected unix:///path, ssh://user@host or tcp://host:port",
    VALIDATE,
    TARGET,
    POLICY,
    key=f"{_H}.docker_host",
    policy="edge-docker-host-secure-transport",
)
EDGE_PLAIN_TCP = rule(
    "edge-plain-tcp-refused",
    "plain tcp:// is refused, because anyone who can reach the port controls the engine: "
    "set tls (ca, cert, key) for mutual TLS, or use ssh:// or unix://",
    VALIDATE,
    TARGET,
    POLICY,
    key=f"{_H}.docker_host, {_H}.tls",
    policy="edge-docker-host-secure-transport",
)
EDGE_TLS_ONLY_TCP = rule(
    "edge-tls-only-tcp", "tls only applies to tcp:// hosts", VALIDATE, key=f"{_H}.tls"
)
EDGE_SSH_URL = rule(
    "edge-ssh-url", "expected ssh://user@host[:port]", VALIDATE, TARGET, key=f"{_H}.docker_host"
)
EDGE_HOST_UNIQUE = rule(
    "edge-host-name-unique", "duplicate host name {name!r}", VALIDATE, key=f"{_H}.name"
)
EDGE_BIND_ADDRESS = rule(
    "edge-bind-address",
    "{address!r} does not appear to be an IPv4 or IPv6 address",
    VALIDATE,
    key=f"{_H}.bind",
)
EDGE_SECURE_TRANSPORT = rule(
    "edge-docker-host-secure-transport",
    "Edge containers reach their Docker engine over unix://, ssh:// or tcp:// "
    "with mutual TLS, never plain TCP.",
    POLICY,
    policy="edge-docker-host-secure-transport",
)
EDGE_HARDENED = rule(
    "edge-container-hardened",
    "Edge containers run unprivileged, off the host network, with a read-only root filesystem.",
    POLICY,
    policy="edge-container-hardened",
)

# --- every target ----------------------------------------------------------------------

IMAGE_PINNED = rule(
    "image-pinned-by-digest",
    "Every container image is pinned by digest, so what runs is what was reviewed.",
    POLICY,
    key=f"{_M}.image",
    policy="image-pinned-by-digest",
)
IMAGE_DIGEST_IN_PROD = rule(
    "model-image-digest-in-prod",
    "stack {stack!r} serves real traffic: pin the image by digest (@sha256:<64 hex>), "
    "so every registry and every placement runs the same bytes",
    VALIDATE,
    key=f"{_M}.image",
)
IMAGE_SAME_DIGEST = rule(
    "image-same-digest",
    "One model version runs one image digest at every placement, whichever registry it pulls from.",
    POLICY,
    key=f"{_L}.registry",
    policy="image-same-digest",
)
IMAGE_DIGEST_DIFFERS = rule(
    "image-same-digest-differs",
    "model {model} {version} runs {digest} here but {expected} at {places}: "
    "one version must be one digest everywhere",
    POLICY,
    key=f"{_L}.registry",
    policy="image-same-digest",
)
IMAGE_REGISTRY = rule(
    "image-registry-allowed",
    "Every container image comes from a registry the policy config allows.",
    POLICY,
    key=f"{_M}.image",
    policy="image-registry-allowed",
)
LABELS_PRESENT = rule(
    "modelfleet-labels-present",
    "Every resource modelfleet makes carries its model, version, location, "
    "classification, jurisdiction and residency labels.",
    POLICY,
    policy="modelfleet-labels-present",
)

# --- federations (modelfleet.federation) ---------------------------------------------------

_F = "modelfleet:federations.<federation>"
FEDERATION_MODEL = rule(
    "federation-model-exists", "unknown model {model!r} ({known})", VALIDATE, key=f"{_F}.model"
)
FEDERATION_LOCATION = rule(
    "federation-location-exists",
    "unknown location {location!r} ({known})",
    VALIDATE,
    key=f"{_F}.aggregator, {_F}.sites.<location>",
)
FEDERATION_KIND = rule(
    "federation-location-kind",
    "location {location!r} is of kind {kind}; this version runs {role} on {kinds} locations only",
    VALIDATE,
    key=f"{_F}.aggregator, {_F}.sites.<location>",
)
FEDERATION_HOST = rule(
    "federation-host-exists",
    "unknown host {host!r} of {location} ({hosts})",
    VALIDATE,
    key=f"{_F}.aggregator_host, {_F}.sites.<location>.host",
)
FEDERATION_SITE_DATA = rule(
    "federation-site-data",
    "required for {kind} site",
    VALIDATE,
    key=f"{_F}.sites.<location>.data, {_F}.sites.<location>.claim",
)
FEDERATION_SITE_KEY_UNUSED = rule(
    "federation-site-key-unused",
    "not used by {kind} site",
    VALIDATE,
    key=f"{_F}.sites.<location>.data, {_F}.sites.<location>.host, {_F}.sites.<location>.claim",
)
FEDERATION_MIN_CLIENTS = rule(
    "federation-min-clients",
    "{required} exceeds the federation's {sites} site(s)",
    VALIDATE,
    key=f"{_F}.min_clients",
)
FEDERATION_TLS = rule(
    "federation-tls-required",
    "not set, and `up` deploys no federation without its SuperLink's TLS: set "
    "'{path}.ca' and '{path}.cert' (PEM) with `pulumi config set --path`, and "
    "'{path}.key' with `pulumi config set --secret --path`",
    VALIDATE,
    key=f"{_F}.tls",
)
FEDERATION_PLACEMENT = rule(
    "federation-placement",
    "A federation's aggregator and every site pass the placement rules of its model's data "
    "(placement-inside-residency, placement-policy-jurisdictions, "
    "placement-restricted-not-public): model updates are derived from the data.",
    VALIDATE,
    PLAN,
    POLICY,
    key=f"{_F}.aggregator, {_F}.sites.<location>",
    policy="modelfleet-residency",
)
