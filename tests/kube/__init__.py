"""Real Kubernetes member clusters for karmadad's tests (``python -m tests.kube up|down``)."""
