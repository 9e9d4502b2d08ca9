"""rnncourse: the course's own helpers, beside the rnnviz library.

``rnncourse.lessons`` holds the experiment code the notebooks share (grouped by
theme) and ``rnncourse.checks`` the self-checking exercises, one module per
notebook. This package uses only rnnviz's public API; rnnviz never imports it
(``tests/test_package_split.py`` holds both rules).
"""
from . import checks  # noqa: F401  so that ``import rnncourse; rnncourse.checks.solutions("nb02")`` works
