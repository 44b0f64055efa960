"""modelfleet: describe a model endpoint once, deploy it to every place it may run."""
