"""BLT ballot files in and out: the format and its dialects are described in :mod:`.file`.

``from governance.counting import blt`` then ``blt.load_blt(path)`` is how the rest of the
project reads a file; the modules behind it are ``file`` (reading and writing a whole file),
``lines`` (option and ballot lines, one by one), ``text`` (quoted names, titles, comments) and
``scan`` (the NumPy fast path for large files, imported only when one is read).
"""

from __future__ import annotations

from governance.counting.blt.file import load_blt, read_blt, write_blt
from governance.counting.blt.lines import MAX_WEIGHT

__all__ = ["MAX_WEIGHT", "load_blt", "read_blt", "write_blt"]
