"""The edge target: a model on the Docker engines of a site, rolled out host by host.

``component`` (EdgeEndpoint, waves) → ``resource`` (EdgeContainer, a dynamic resource)
→ ``crud`` (its provider) → ``handover`` (moving a published port) / ``health``
(probes) / ``lifecycle`` (one container) → ``connect`` (Docker clients).
"""
