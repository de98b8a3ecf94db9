"""Company web enrichment: a safe, polite, cached fetcher and a pure page extractor.

Fetching (fetch.py, politeness.py, safety.py) is kept apart from extraction (extract.py) so extraction can be
tested and re-run on saved pages without touching the network.
"""
