"""Error budgets: the arithmetic, what one Prometheus poll says about every SLO, and the SLO's
status.errorBudget and conditions that follow from it."""
