{{/* Names, labels and small shared pieces of the budgetwarden chart. */}}

{{- define "budgetwarden.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "budgetwarden.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "budgetwarden.selectorLabels" -}}
app.kubernetes.io/name: {{ include "budgetwarden.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "budgetwarden.labels" -}}
{{ include "budgetwarden.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: budgetwarden
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "budgetwarden.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "budgetwarden.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The operator's own user: its changes skip the workload webhook (never blocked by itself). */}}
{{- define "budgetwarden.operatorUsername" -}}
system:serviceaccount:{{ .Release.Namespace }}:{{ include "budgetwarden.serviceAccountName" . }}
{{- end -}}

{{- define "budgetwarden.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "budgetwarden.webhookSecretName" -}}
{{- if eq .Values.webhook.certificate.mode "secret" -}}
{{- required "webhook.certificate.secret.name is required when webhook.certificate.mode is secret" .Values.webhook.certificate.secret.name -}}
{{- else -}}
{{- printf "%s-webhook-tls" (include "budgetwarden.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "budgetwarden.certificateName" -}}
{{- printf "%s-webhook" (include "budgetwarden.fullname" .) -}}
{{- end -}}

{{/* Namespaced rules run in every watched namespace (a Role each) or cluster-wide. */}}
{{- define "budgetwarden.watchAll" -}}
{{- if not .Values.watch.namespaces -}}true{{- end -}}
{{- end -}}

{{/* Admission by the operator's webhook server (the default) or by ValidatingAdmissionPolicies. */}}
{{- define "budgetwarden.webhookMode" -}}
{{- if eq .Values.admission.mode "webhook" -}}true{{- end -}}
{{- end -}}

{{- define "budgetwarden.vapMode" -}}
{{- if eq .Values.admission.mode "vap" -}}true{{- end -}}
{{- end -}}
