"""Member clusters: connections with each member's own credentials, the typed reads and writes of their
objects, and the informers that cache what karmadad reads from them."""
