"""Tools for annotating corpora by the project's guideline (worksheets, agreement)."""
