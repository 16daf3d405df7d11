"""Pure counting library: ballots, BLT files, counting methods and count sheets.

Imports only the standard library (and NumPy where it earns its place); never SQLAlchemy or
Litestar, so that a count can be re-run by anyone from the command line.
"""
