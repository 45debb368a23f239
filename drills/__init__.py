"""Reliability drills and bad-input catalogs against after x2: `make drills` (python -m drills.run)."""
