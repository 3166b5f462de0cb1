{{/* Names and labels, as `helm create` makes them. */}}
{{- define "eocexporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "eocexporter.fullname" -}}
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

{{- define "eocexporter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "eocexporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "eocexporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "eocexporter.labels" -}}
helm.sh/chart: {{ include "eocexporter.chart" . }}
{{ include "eocexporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "eocexporter.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* Where the exporter's config file and the secret files are mounted. */}}
{{- define "eocexporter.configDir" -}}/etc/eocexporter/config{{- end }}
{{- define "eocexporter.secretDir" -}}/etc/eocexporter/secrets{{- end }}
{{- define "eocexporter.webConfigDir" -}}/etc/eocexporter/web{{- end }}

{{/* The Secret the passwords are read from: the existing one, or the chart's. */}}
{{- define "eocexporter.secretName" -}}
{{- .Values.secrets.existingSecret | default (include "eocexporter.fullname" .) }}
{{- end }}

{{/* Non-empty when the chart creates its Secret: some target has a password, or an S3 secret key is set. */}}
{{- define "eocexporter.createSecret" -}}
{{- if not .Values.secrets.existingSecret }}
{{- range .Values.targets }}{{ if hasKey . "password" }}true{{ end }}{{ end }}
{{- if .Values.secrets.s3SecretKey }}true{{ end }}
{{- end }}
{{- end }}

{{/* Non-empty when the pod mounts a Secret. */}}
{{- define "eocexporter.mountSecret" -}}
{{- if or .Values.secrets.existingSecret (include "eocexporter.createSecret" .) }}true{{ end }}
{{- end }}

{{/* The key holding the S3 secret key, "" when there is none. Target names never start with "_". */}}
{{- define "eocexporter.s3SecretKeyName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.s3SecretKeyKey }}
{{- else if .Values.secrets.s3SecretKey }}
{{- print "_s3_secret_key" }}
{{- end }}
{{- end }}

{{/* Non-empty when the Parquet sink writes (a local directory or S3). */}}
{{- define "eocexporter.parquetOn" -}}
{{- if dig "parquet" "root" "" .Values.config }}true{{ end }}
{{- end }}
