{{- define "switchyard.name" -}}{{ .Release.Name }}-switchyard{{- end -}}

{{- define "switchyard.labels" -}}
app.kubernetes.io/name: switchyard
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "switchyard.check" -}}
{{- if and (eq .Values.store.engine "sqlite") (ne (int .Values.replicaCount) 1) -}}
{{- fail "store.engine sqlite runs exactly one replica: use store.engine postgres for more" -}}
{{- end -}}
{{- if not (has .Values.store.engine (list "sqlite" "postgres")) -}}
{{- fail "store.engine must be sqlite or postgres" -}}
{{- end -}}
{{- end -}}
