"""Kubernetes and Karmada API types, the resource registry and per-kind strategies."""
