{{/* The command line and environment of `budgetwarden run` (docs/operations.md). Settings
that have a flag are passed as flags; the admission server's settings exist only as
BUDGETWARDEN_* variables. */}}

{{- define "budgetwarden.watchArgs" -}}
- run
{{- if .Values.watch.namespaces }}
{{- range .Values.watch.namespaces }}
- --namespace={{ . }}
{{- end }}
{{- else }}
- --all-namespaces
{{- end }}
{{- end -}}

{{- define "budgetwarden.runArgs" -}}
{{- $op := .Values.operator -}}
{{ include "budgetwarden.watchArgs" . }}
- --liveness=http://0.0.0.0:{{ .Values.healthPort }}/healthz
- --scrape-interval={{ $op.scrapeInterval }}
- --evaluation-interval={{ $op.evaluationInterval }}
- --budget-levels={{ $op.budgetLevels }}
{{- with $op.runbookBaseURL }}
- {{ printf "--runbook-base-url=%s" . | quote }}
{{- end }}
{{- with $op.prometheusURL }}
- --prometheus-url={{ . }}
{{- end }}
{{- with $op.prometheusTokenSecret }}
{{- if .name }}
- --prometheus-token-secret={{ default $.Release.Namespace .namespace }}/{{ .name }}/{{ .key }}
{{- end }}
{{- end }}
{{- if $op.prometheusCA.configMap }}
- --prometheus-ca=/etc/budgetwarden/prometheus-ca/ca.crt
{{- end }}
- --poll-interval={{ $op.pollInterval }}
- --metrics-port={{ ternary (toString .Values.service.metricsPort) "off" .Values.metrics.enabled }}
{{- if ne .Values.admission.mode "none" }}
- --admission-mode={{ .Values.admission.mode }}
{{- end }}
{{- if include "budgetwarden.webhookMode" . }}
- --role=controller
{{- end }}
{{- with $op.peering }}
- --peering={{ . }}
{{- end }}
{{- if $op.verbose }}
- --verbose
{{- end }}
{{- range $op.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end -}}

{{- define "budgetwarden.admissionEnv" -}}
- name: BUDGETWARDEN_OPERATOR_USERNAME
  value: {{ include "budgetwarden.operatorUsername" . | quote }}
- name: BUDGETWARDEN_EXCEPTION_MAX_TTL
  value: {{ .Values.admission.exceptionMaxTTL | quote }}
- name: BUDGETWARDEN_ALLOW_SERVICE_ACCOUNT_APPROVERS
  value: {{ .Values.admission.allowServiceAccountApprovers | toString | quote }}
- name: BUDGETWARDEN_ROLLOUTS_CONTROLLER_USERS
  value: {{ join "," .Values.admission.rolloutsControllerUsers | quote }}
{{- end -}}

{{/* The webhook container: `budgetwarden run --role=admission`, its own watches and listings,
the webhook server and /readyz; it never polls or writes. */}}
{{- define "budgetwarden.webhookArgs" -}}
{{ include "budgetwarden.watchArgs" . }}
- --liveness=http://0.0.0.0:{{ .Values.webhook.healthPort }}/healthz
- --metrics-port={{ .Values.webhook.readyPort }}
- --admission-mode=webhook
- --role=admission
{{- with .Values.operator.runbookBaseURL }}
- {{ printf "--runbook-base-url=%s" . | quote }}
{{- end }}
{{- if .Values.operator.verbose }}
- --verbose
{{- end }}
{{- end -}}

{{- define "budgetwarden.webhookEnv" -}}
{{ include "budgetwarden.admissionEnv" . }}
- name: BUDGETWARDEN_WEBHOOK_ADDRESS
  value: {{ printf "0.0.0.0:%d" (int .Values.webhook.port) | quote }}
- name: BUDGETWARDEN_WEBHOOK_CERT
  value: /etc/budgetwarden/webhook/tls.crt
- name: BUDGETWARDEN_WEBHOOK_KEY
  value: /etc/budgetwarden/webhook/tls.key
{{- if .Values.webhook.clientCA.configMap }}
- name: BUDGETWARDEN_WEBHOOK_CLIENT_CA
  value: /etc/budgetwarden/client-ca/ca.crt
{{- end }}
{{- with .Values.operator.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The Lease the replicas elect on: one per release, so that two releases in one namespace
never share a leader; extraEnv may name another. */}}
{{- define "budgetwarden.leaseName" -}}
{{- $lease := include "budgetwarden.fullname" . -}}
{{- range .Values.operator.extraEnv }}
{{- if eq .name "BUDGETWARDEN_LEASE_NAME" }}{{ $lease = .value }}{{ end }}
{{- end }}
{{- $lease -}}
{{- end -}}

{{- define "budgetwarden.runEnv" -}}
{{- if ne .Values.admission.mode "none" }}
{{ include "budgetwarden.admissionEnv" . }}
{{- end }}
{{- $named := false }}
{{- range .Values.operator.extraEnv }}
{{- if eq .name "BUDGETWARDEN_LEASE_NAME" }}{{ $named = true }}{{ end }}
{{- end }}
{{- if not $named }}
- name: BUDGETWARDEN_LEASE_NAME
  value: {{ include "budgetwarden.leaseName" . | quote }}
{{- end }}
{{- if include "budgetwarden.vapMode" . }}
- name: BUDGETWARDEN_VAP_FAILURE_POLICY
  value: {{ .Values.admission.vap.failurePolicy | quote }}
{{- end }}
{{- include "budgetwarden.prometheusAuthEnv" . }}
{{- include "budgetwarden.ruleObjectEnv" . }}
{{- with .Values.operator.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* rules.labels and rules.annotations: the labels and annotations of every generated
PrometheusRule, as the KEY=VALUE,KEY=VALUE variables the operator reads (docs/ecosystem.md);
rules.evaluator when it is not the default. */}}
{{- define "budgetwarden.ruleObjectEnv" -}}
{{- range $field, $map := dict "labels" .Values.rules.labels "annotations" .Values.rules.annotations }}
{{- range $key, $value := $map }}
{{- if not (regexMatch "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$" $key) }}
{{- fail (printf "rules.%s: %q is not a label key such as release or example.com/tier" $field $key) }}
{{- end }}
{{- if or (eq $key "app.kubernetes.io/managed-by") (hasPrefix "budgetwarden.io/" $key) }}
{{- fail (printf "rules.%s: key %q is set by budgetwarden and cannot be replaced" $field $key) }}
{{- end }}
{{- if contains "," (toString $value) }}
{{- fail (printf "rules.%s.%s: the value may not hold a comma (BUDGETWARDEN_RULE_%s separates pairs with commas)" $field $key (upper $field)) }}
{{- end }}
{{- end }}
{{- end }}
{{- with .Values.rules.labels }}
- name: BUDGETWARDEN_RULE_LABELS
  value: {{ include "budgetwarden.pairs" . | quote }}
{{- end }}
{{- with .Values.rules.annotations }}
- name: BUDGETWARDEN_RULE_ANNOTATIONS
  value: {{ include "budgetwarden.pairs" . | quote }}
{{- end }}
{{- if ne .Values.rules.evaluator "prometheus" }}
- name: BUDGETWARDEN_RULE_EVALUATOR
  value: {{ .Values.rules.evaluator | quote }}
{{- end }}
{{- end -}}

{{- define "budgetwarden.pairs" -}}
{{- $pairs := list }}
{{- range $key, $value := . }}
{{- $pairs = append $pairs (printf "%s=%s" $key (toString $value)) }}
{{- end }}
{{- join "," $pairs }}
{{- end -}}

{{/* operator.prometheusAuth: the Secret's files as the operator's variables (they have no
flags); the pairs are checked here so that a half-set pair fails at install, not at start-up. */}}
{{- define "budgetwarden.prometheusAuthEnv" -}}
{{- $auth := .Values.operator.prometheusAuth -}}
{{- $dir := "/etc/budgetwarden/prometheus-auth" -}}
{{- if and (not $auth.secretName) (or $auth.tokenKey $auth.passwordKey $auth.certKey $auth.keyKey) }}
{{- fail "operator.prometheusAuth: tokenKey, passwordKey, certKey and keyKey are keys of operator.prometheusAuth.secretName, which is empty" }}
{{- end }}
{{- if ne (empty $auth.certKey) (empty $auth.keyKey) }}
{{- fail "operator.prometheusAuth: certKey and keyKey go together (the client certificate and its key)" }}
{{- end }}
{{- if ne (empty $auth.basicAuthUsername) (empty $auth.passwordKey) }}
{{- fail "operator.prometheusAuth: basicAuthUsername and passwordKey go together" }}
{{- end }}
{{- if and $auth.secretName $auth.tokenKey }}
- name: BUDGETWARDEN_PROMETHEUS_TOKEN_FILE
  value: {{ $dir }}/token
{{- end }}
{{- if $auth.basicAuthUsername }}
- name: BUDGETWARDEN_PROMETHEUS_BASIC_AUTH_USERNAME
  value: {{ $auth.basicAuthUsername | quote }}
- name: BUDGETWARDEN_PROMETHEUS_BASIC_AUTH_PASSWORD_FILE
  value: {{ $dir }}/password
{{- end }}
{{- if $auth.certKey }}
- name: BUDGETWARDEN_PROMETHEUS_CERT_FILE
  value: {{ $dir }}/tls.crt
- name: BUDGETWARDEN_PROMETHEUS_KEY_FILE
  value: {{ $dir }}/tls.key
{{- end }}
{{- if $auth.insecureSkipVerify }}
- name: BUDGETWARDEN_PROMETHEUS_INSECURE_SKIP_VERIFY
  value: "true"
{{- end }}
{{- end -}}
