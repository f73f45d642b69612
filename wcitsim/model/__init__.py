"""The Mesa face of the conference."""
