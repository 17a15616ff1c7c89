"""Converters from other SLO formats (Sloth, OpenSLO, Pyrra) into SLO resources.

Pure functions from one parsed source document to a `results.Conversion`: the SLO resources,
every change made on the way and every reason a part was not converted. `names` makes the
Kubernetes names and keeps them unique across one import; the `import` command reads the files,
prints one `results.result_line` per document and writes the resources.
"""
