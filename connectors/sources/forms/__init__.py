"""Web forms: a signed webhook that stores submissions in the warehouse inbox, read nightly as a source."""
