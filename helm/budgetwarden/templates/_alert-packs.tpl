{{/*
Labels and annotations of one pack alert (templates/alert-packs.yaml), as core/packs/alerts.py
writes them: the pack, the priority (alertPacks.priorities or the reviewed default), severity
warning, a `disk` label for the two kinds of disk, and the runbook under the base URL
(alertPacks.runbookBaseURL or operator.runbookBaseURL: a base with {page}, or a folder of .md).
*/}}
{{- define "budgetwarden.packAlert" -}}
{{- $page := printf "alerts/%s" .alert -}}
labels:
  alert_pack: {{ .pack }}
  {{- with .disk }}
  disk: {{ . }}
  {{- end }}
  priority: {{ index .priorities .alert | default .priority }}
  severity: warning
annotations:
  runbook_url: {{ ternary (replace "{page}" $page .runbooks) (printf "%s/%s.md" .runbooks $page) (contains "{page}" .runbooks) | quote }}
  summary: {{ .summary | quote }}
  description: {{ .description | quote }}
{{- end -}}
