"""Moving workloads off failed clusters: the decisions, as pure functions over plain objects.

- :mod:`.taint_policies`: which taints ClusterTaintPolicies put on or take off a Cluster.
- :mod:`.eviction`: whether a NoExecute taint evicts a binding now or later, the graceful eviction task
  that records it, and when such a task is done; the brake that stops evictions in a mass outage.

The controllers (``karmadad.controllers.cluster_taints``, ``taint_manager``, ``graceful_eviction``) read
the store, call these, and write.
"""
