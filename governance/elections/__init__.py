"""Elections and contests: timetable, settings, lifecycle and the returning officer's pages."""
