"""Past diagnoses, recorded in an embedded SQLite file, to compare a new incident with."""
