"""Voting: the frozen electorate of each contest, casting, receipts (DESIGN: voting and results)."""
