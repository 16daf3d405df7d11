"""Mail: an outbox written in the caller's transaction, a sender that delivers it over SMTP."""
