"""governance: elections for membership bodies, from nomination to certified result."""
