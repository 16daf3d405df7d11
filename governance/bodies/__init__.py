"""Governed bodies (e.g. a 36-seat Policy Advisory Group): seats, categories and holders."""
