"""The member register: who may stand and who may vote."""
