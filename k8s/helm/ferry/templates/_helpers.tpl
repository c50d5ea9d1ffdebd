{{/* The chart's name, or nameOverride. */}}
{{- define "ferry.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The name every resource of a release shares: the release name, prefixed by the chart's unless it has it. */}}
{{- define "ferry.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "ferry.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: immutable on a Deployment, so only name and instance. */}}
{{- define "ferry.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ferry.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "ferry.labels" -}}
helm.sh/chart: {{ include "ferry.chart" . }}
{{ include "ferry.selectorLabels" . }}
app.kubernetes.io/component: server
app.kubernetes.io/part-of: ferry
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "ferry.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ferry.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "ferry.secretName" -}}
{{- if .Values.secret.create }}
{{- printf "%s-secrets" (include "ferry.fullname" .) }}
{{- else }}
{{- required "secret.name is required when secret.create is false" .Values.secret.name }}
{{- end }}
{{- end }}

{{/* Names match the kustomize base (ferry-data, ferry-secrets, ferry-config) for a release named ferry. */}}
{{- define "ferry.claimName" -}}
{{- default (printf "%s-data" (include "ferry.fullname" .)) .Values.persistence.existingClaim }}
{{- end }}

{{- define "ferry.configName" -}}
{{- printf "%s-config" (include "ferry.fullname" .) }}
{{- end }}

{{- define "ferry.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The extended resource of the accelerator, or "" for none. */}}
{{- define "ferry.acceleratorResource" -}}
{{- if eq .Values.accelerator.type "nvidia" }}nvidia.com/gpu
{{- else if eq .Values.accelerator.type "amd" }}amd.com/gpu
{{- end }}
{{- end }}

{{/* preStop sleep + drain timeout + margin: a drain is never cut short by SIGKILL. */}}
{{- define "ferry.terminationGracePeriodSeconds" -}}
{{- if eq .Values.shutdown.mode "drain" }}
{{- add .Values.shutdown.preStopSleepSeconds .Values.shutdown.drainTimeoutSeconds .Values.shutdown.graceMarginSeconds }}
{{- else }}
{{- add .Values.shutdown.preStopSleepSeconds .Values.shutdown.graceMarginSeconds }}
{{- end }}
{{- end }}
