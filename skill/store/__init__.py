"""Persistence: the tables, the engine and migrations, and one repository per kind of record
(patients, the exercise log, check-ins, caregiver access, everything kept about a patient)."""
