"""Converters from other SLO formats (Sloth, OpenSLO) into SLO resources.

Pure functions from one parsed document to `(SLO resource dicts, problems)`; the `import`
command reads the files, prints the problems and writes the resources.
"""
