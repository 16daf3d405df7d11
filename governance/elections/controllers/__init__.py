"""The election pages: the returning officer's (``ro``), officer hand-over (``officers``) and the
public timetable (``public``)."""
