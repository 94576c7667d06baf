"""Member clusters simulated inside karmadad (``simulation`` in the config).

A simulated member is what karmadad needs of a member and what a user looks at with kubectl: the Kubernetes
API served on loopback over TLS, from a store of its own, with Nodes that have capacity and controllers that
run what karmadad puts there. Pods are placed on the nodes by their requests and node selectors, then start
and become ready; Deployments, ReplicaSets, StatefulSets, DaemonSets and Jobs make their Pods and report
status from them, as kube-controller-manager would. karmadad reaches it as any member, through its
``server``, token and CA: the member path is the real one.

- :mod:`.scheduling`: which node a Pod goes to, or why none fits (pure).
- :mod:`.objects`: the Nodes, Pods and workload statuses a simulated cluster writes (pure).
- :mod:`.workloads`: the controllers that write them into the member's store.
- :mod:`.member`: one simulated cluster: its store, API, nodes and controllers.
"""
