"""When to freeze: the ErrorBudgetPolicy model, label selectors, one SLO's assessment, the
policy decision, its status and its notifications."""
