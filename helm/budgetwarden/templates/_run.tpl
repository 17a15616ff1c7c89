{{/* The command line and environment of `budgetwarden run` (docs/operations.md). */}}

{{- define "budgetwarden.runArgs" -}}
{{- $op := .Values.operator -}}
- run
{{- if .Values.watch.namespaces }}
{{- range .Values.watch.namespaces }}
- --namespace={{ . }}
{{- end }}
{{- else }}
- --all-namespaces
{{- end }}
- --liveness=http://0.0.0.0:{{ .Values.healthPort }}/healthz
- --scrape-interval={{ $op.scrapeInterval }}
- --evaluation-interval={{ $op.evaluationInterval }}
- --budget-levels={{ $op.budgetLevels }}
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

{{- define "budgetwarden.runEnv" -}}
{{- $op := .Values.operator -}}
- name: BUDGETWARDEN_POLL_INTERVAL
  value: {{ $op.pollInterval | quote }}
- name: BUDGETWARDEN_METRICS_PORT
  value: {{ ternary (toString .Values.service.metricsPort) "off" .Values.metrics.enabled | quote }}
{{- with $op.prometheusURL }}
- name: BUDGETWARDEN_PROMETHEUS_URL
  value: {{ . | quote }}
{{- end }}
{{- with $op.prometheusTokenSecret }}
{{- if .name }}
- name: BUDGETWARDEN_PROMETHEUS_TOKEN_SECRET
  value: {{ printf "%s/%s/%s" (default $.Release.Namespace .namespace) .name .key | quote }}
{{- end }}
{{- end }}
{{- if $op.prometheusCA.configMap }}
- name: BUDGETWARDEN_PROMETHEUS_CA
  value: /etc/budgetwarden/prometheus-ca/ca.crt
{{- end }}
{{- if .Values.webhook.enabled }}
- name: BUDGETWARDEN_WEBHOOK_ADDRESS
  value: {{ printf "0.0.0.0:%d" (int .Values.webhook.port) | quote }}
- name: BUDGETWARDEN_WEBHOOK_CERT
  value: /etc/budgetwarden/webhook/tls.crt
- name: BUDGETWARDEN_WEBHOOK_KEY
  value: /etc/budgetwarden/webhook/tls.key
- name: BUDGETWARDEN_EXCEPTION_MAX_TTL
  value: {{ .Values.webhook.exceptionMaxTTL | quote }}
- name: BUDGETWARDEN_OPERATOR_USERNAME
  value: {{ include "budgetwarden.operatorUsername" . | quote }}
{{- end }}
{{- with $op.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}
