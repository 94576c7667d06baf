"""The status page: what karmadad's clusters are, where its templates went and why some did not, at a glance.

``kubectl get clusters,rb`` and ``kubectl describe`` answer the same questions one object at a time and need
credentials; this page shows them together, in a browser, from the ops listener (plain HTTP, loopback by
default, no credentials), and keeps itself current while it is open. Because it needs no credentials it shows
only what Kubernetes' ``view`` role may read anyway, and less: names, placement, conditions and Events —
never the content of a template, a Secret or a ConfigMap, nor any token or kubeconfig.

- :mod:`.summary`: the store's objects → a typed summary → JSON (pure, no I/O).
- :mod:`.render`: the summary → the HTML page, every string escaped (pure); its CSS and script inline.
- :mod:`.routes`: the thin aiohttp handlers the daemon adds to the ops listener.
"""
