"""``python -m governance`` is the ``governance`` command."""

from governance.cli import main

main()
