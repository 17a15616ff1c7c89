"""The kernel every room stands on: names on the wire, errors, durations, quantities, the model
base, freeze levels and thresholds, conditions, and how times, numbers and patches are written."""
