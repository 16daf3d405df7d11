"""Roll checks and challenges: a member says the register is wrong, and staff decide."""
