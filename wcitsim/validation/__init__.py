"""Validation against the record: cross-validation over countries, calibration of the global
coefficients, the validation report, and why a state signs or not (explain)."""
