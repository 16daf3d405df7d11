"""The rule language that says who may stand and who may vote (docs/eligibility.md).

``rules`` is its public face, used by elections (checking a contest's rules), nominations (who
may stand and support) and the register's SQL filter; the other modules are its parts: tokens,
the parser, the tree, values, the SQL translation and the explanations.
"""
