"""The running operator, without kopf: its configuration, its in-memory registry, the budget
loop, enforcement, the drift watch, admission serving and VAP params, and the composition root
(`operator.Operator`) that builds them once. Handlers (kopf glue) sit above; adapters below."""
