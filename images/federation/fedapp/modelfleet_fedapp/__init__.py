"""modelfleet's Flower app: federated logistic regression exported to ONNX."""
