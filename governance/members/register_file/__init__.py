"""The register as a CSV file: import with a validation report, and export."""
