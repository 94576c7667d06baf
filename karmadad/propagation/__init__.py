"""The propagation path's decisions, as pure functions the controllers call: which policy claims a template
and the binding it gets (claims), the Work for each cluster (work), what to do in the member (apply_plan),
and what the Work's status says (work_status)."""
