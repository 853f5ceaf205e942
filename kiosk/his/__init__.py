"""The hand-off to the hospital information system (HIS): after a passed check-in, an HL7
FHIR message to the site's own endpoint, queued in the store and retried like the results."""
