"""The Azure target: a model behind an Azure ML online endpoint, managed or on Arc Kubernetes."""
