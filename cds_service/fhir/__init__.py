"""FHIR in: the hook request envelope, prefetch pooling, fetching from the EHR's FHIR server, FHIR resources to typed facts, dates, validation."""
