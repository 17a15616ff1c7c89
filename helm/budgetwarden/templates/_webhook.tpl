{{/* Pieces shared by the webhook configurations in webhook.yaml. */}}

{{/* cert-manager injects the CA into caBundle when it issues the certificate. */}}
{{- define "budgetwarden.webhookAnnotations" -}}
{{- if eq .Values.webhook.certificate.mode "certManager" -}}
annotations:
  cert-manager.io/inject-ca-from: {{ printf "%s/%s" .Release.Namespace (include "budgetwarden.certificateName" .) }}
{{- end -}}
{{- end -}}

{{/* The common head of an entry; dict: service, caBundle, path. */}}
{{- define "budgetwarden.webhookClient" -}}
admissionReviewVersions: [v1]
clientConfig:
  service:
    namespace: {{ .service.namespace }}
    name: {{ .service.name }}
    path: {{ .path }}
    port: {{ .service.port }}
  {{- if .caBundle }}
  caBundle: {{ .caBundle }}
  {{- end }}
matchPolicy: Equivalent
{{- end -}}

{{/* FreezeException entries always fail closed: an approver must be recorded. */}}
{{- define "budgetwarden.exceptionRules" -}}
rules:
  - apiGroups: [budgetwarden.io]
    apiVersions: [v1alpha1]
    resources: [freezeexceptions]
    operations: [CREATE, UPDATE]
    scope: Namespaced
failurePolicy: Fail
sideEffects: None
timeoutSeconds: 5
{{- end -}}
