"""Self-nomination, supporters and consent, review and withdrawal."""
