"""The AWS target: a model on a SageMaker real-time or serverless endpoint in one region."""
