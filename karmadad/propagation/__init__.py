"""Policies claiming templates, and the bindings they get: pure functions the detector calls."""
