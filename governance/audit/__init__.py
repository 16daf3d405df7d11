"""The audit log: one hash chain per election and one for the platform (DESIGN invariant 5)."""
