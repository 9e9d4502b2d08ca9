"""Experiment helpers the course notebooks share, grouped by theme.

Notebooks wire these together and teach; the logic lives here, with tests:
``basics`` (notebooks 00-01), ``memory`` (02-03), ``hybrid`` (04-05),
``text`` (06-07).
"""
