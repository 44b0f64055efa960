"""A valid stack config touching every kind and option, for tests to mutate."""

import copy
from typing import Any

VALID: dict[str, Any] = {
    "models": {
        "fraud-scorer": {
            "version": "1.4.0",
            "image": "registry.example.com/ml/fraud-scorer@sha256:" + "a" * 64,
            "artifact": "s3://ml-artifacts/fraud-scorer/1.4.0/model.tar.gz",
            "port": 8080,
            "host_port": 9080,
            "health_path": "/ping",
            "invoke_path": "/invocations",
            "env": {"LOG_LEVEL": "info"},
            "resources": {"cpu": 1, "memory_mb": 2048, "gpus": 0},
            "scaling": {"min": 1, "max": 4},
            "data": {"classification": "restricted", "residency": ["EU"]},
        },
        "churn": {
            "version": "0.1.0",
            "image": "churn:dev",
            "data": {"classification": "public"},
        },
    },
    "locations": {
        "aws-frankfurt": {
            "kind": "aws",
            "region": "eu-central-1",
            "instance_type": "ml.m5.large",
            "kms_key_arn": "arn:aws:kms:eu-central-1:111122223333:key/abc",
            "subnet_ids": ["subnet-0abc"],
            "security_group_ids": ["sg-0abc"],
        },
        "azure-westeurope": {
            "kind": "azure",
            "location": "westeurope",
            "resource_group": "ml-prod",
            "workspace": "ml-prod-weu",
            "rollout": {"previous_version": "1.3.0", "canary_percent": 10},
        },
        "munich-onprem": {
            "kind": "kubernetes",
            "jurisdiction": "DE",
            "kubeconfig": {"secure": "v1:abc"},
            "namespace": "models",
        },
        "plant-lyon": {
            "kind": "edge",
            "jurisdiction": "FR",
            "hosts": [
                {"name": "gw-1", "docker_host": "ssh://ops@gw-1.example", "wave": 0},
                {
                    "name": "gw-2",
                    "docker_host": "tcp://gw-2.example:2376",
                    "tls": {"ca": "CA", "cert": "CERT", "key": {"secure": "v1:key"}},
                },
            ],
        },
    },
    "placements": {
        "fraud-scorer": ["aws-frankfurt", "azure-westeurope", "munich-onprem", "plant-lyon"],
        "churn": ["munich-onprem"],
    },
}


def valid() -> dict[str, Any]:
    """A fresh deep copy of :data:`VALID`, safe to mutate."""
    return copy.deepcopy(VALID)
