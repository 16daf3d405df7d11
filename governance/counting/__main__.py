"""``python -m governance.counting FILE.blt --method M``: the count command without the app."""

from governance.counting.cli import main

raise SystemExit(main())
