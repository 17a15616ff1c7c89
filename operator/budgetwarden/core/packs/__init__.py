"""Alert packs: alerts beyond SLOs that a cluster installs by choice (resources, model quality).

SLO alerts say users are hurt; pack alerts watch causes (a container near its limits, a disk
filling up, a model drifting), so none of them pages by default (docs/policies/alerting-policy.md,
"Alert packs"). `build.build_pack_groups` and `build.build_pack_prometheus_rule` are the entry
points: `budgetwarden generate pack` prints their output, and the Helm chart's
templates/alert-packs.yaml renders the same rules (tests/integration/test_helm_alert_packs.py
compares them). Each pack lives in its own module; `settings` holds the tunables with their
reasons, `priorities` the reviewed priority of each alert.
"""
