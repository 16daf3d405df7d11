"""Nomination pages: a member's own nominations and supports (``member``), the returning
officer's review (``review``), and the public candidate list and photos (``candidates``)."""
