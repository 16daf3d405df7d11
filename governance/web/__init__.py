"""Web plumbing shared by every feature: templates, security headers, sign-in, error pages."""
