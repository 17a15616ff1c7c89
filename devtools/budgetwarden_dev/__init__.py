"""budgetwarden's development tools, a distribution of their own beside the operator: the local
control plane and Prometheus (`devenv`), the demo service, demo stack and drills (`demo`), and the
`budgetwarden dev`, `demo`, `demo-service` and `drill` commands built on them (`cli`), which the
`budgetwarden` command finds through the `budgetwarden.commands` entry points. The operator
package never imports anything from here.
"""
