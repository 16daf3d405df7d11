"""Staff and member accounts: sign-in, sessions, first-admin set-up, staff invitations."""
