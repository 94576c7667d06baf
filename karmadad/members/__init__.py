"""Member clusters: connections with each member's own credentials, and what karmadad reads from them."""
