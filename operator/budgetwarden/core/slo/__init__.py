"""From an SLO to its rules: the SLO model, burn-rate windows, PromQL checks, rule generation,
rule files, and the Sloth and OpenSLO importers."""
