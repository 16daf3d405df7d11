"""The voting pages: the elector's ballot (``ballot``), voting codes (``codes``), and the returning
officer's views of the poll (``officer``: turnout and the roll; ``mail``: codes and reminders)."""
