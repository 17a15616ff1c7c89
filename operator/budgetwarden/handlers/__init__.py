"""kopf glue: parse, build with the core, apply through adapters, record status."""
