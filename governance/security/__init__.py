"""Passwords, one-time tokens and role guards."""
