"""The demo: a service with an error rate and latency you control, the whole loop on one
machine (`budgetwarden demo up`) and the drill that burns its budget, for `make demo`, drills and
tests; never imported by the operator. `service` is the HTTP server (`budgetwarden
demo-service`), `load` its built-in load generator, `settings` the validated knobs, `faults` the
error and latency injection, `process` runs the service as a child process, `stack` starts the
loop and `drill` with its helpers burns budget against it. docs/demo-service.md describes the
HTTP API and docs/demo.md the drill.
"""
