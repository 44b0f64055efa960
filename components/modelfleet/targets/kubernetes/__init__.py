"""The Kubernetes target: a model as a hardened Deployment behind a Service on a team's cluster."""
