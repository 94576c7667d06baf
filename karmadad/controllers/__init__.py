"""Karmada's controllers, one module each: each turns one kind of object into the next along the flow."""
