"""Local HTTP emulators of the CRM APIs we push to, built from the vendors' docs (see docs/crm-sinks.md)."""
