"""Reading and writing users' files: the schema of scenario files, scenario loading, atomic writers.

Knows no mechanics: nothing here imports the model.
"""
