"""Drift review: statistics (PSI of scores and lengths, language mix, feedback disagreement) and
plots over two windows of stored history, read through the Store's report queries."""
