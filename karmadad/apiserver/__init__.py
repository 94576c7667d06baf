"""The Kubernetes-compatible HTTP front of the store."""
