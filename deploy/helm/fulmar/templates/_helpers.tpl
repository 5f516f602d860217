{{/*
Names, labels and the values every template derives from. Kubernetes names are DNS labels: at
most 63 characters, no trailing dash.
*/}}

{{/* The chart's name, or nameOverride. */}}
{{- define "fulmar.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The name of every resource: fullnameOverride, else the release name, suffixed with the chart
name unless the release name already holds it (`helm install fulmar` gives `fulmar`). */}}
{{- define "fulmar.fullname" -}}
{{- $full := .Values.fullnameOverride -}}
{{- if not $full -}}
{{- $name := include "fulmar.name" . -}}
{{- $full = ternary .Release.Name (printf "%s-%s" .Release.Name $name) (contains $name .Release.Name) -}}
{{- end -}}
{{- $full | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The labels that pick the pods: stable across upgrades (a Deployment's selector is immutable). */}}
{{- define "fulmar.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fulmar.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The labels of every resource. */}}
{{- define "fulmar.labels" -}}
{{ include "fulmar.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: server
app.kubernetes.io/part-of: fulmar
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{- define "fulmar.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "fulmar.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "fulmar.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion (toString .Values.image.tag)) -}}
{{- end -}}

{{/* FULMAR_PUBLIC_URL: the value, else the Ingress host (https with TLS), else empty (unset). */}}
{{- define "fulmar.publicUrl" -}}
{{- if .Values.publicUrl -}}
{{- .Values.publicUrl -}}
{{- else if and .Values.ingress.enabled .Values.ingress.host -}}
{{- printf "%s://%s" (ternary "https" "http" (.Values.ingress.tls.enabled | default false)) .Values.ingress.host -}}
{{- end -}}
{{- end -}}

{{/*
terminationGracePeriodSeconds from shutdown.graceMs, the value that also sets
FULMAR_SHUTDOWN_GRACE_MS: the preStop sleep runs inside the grace period, then Fulmar drains for
up to graceMs (rounded up to whole seconds), then the margin for the process to exit.
*/}}
{{- define "fulmar.terminationGracePeriodSeconds" -}}
{{- $s := .Values.shutdown -}}
{{- add (int64 $s.preStopSleepSeconds) (div (add (int64 $s.graceMs) 999) 1000) (int64 $s.marginSeconds) -}}
{{- end -}}

{{/* The readiness probe outlasts FULMAR_READY_TIMEOUT_MS, so a slow bucket reads as Fulmar's 503. */}}
{{- define "fulmar.readinessTimeoutSeconds" -}}
{{- add (div (add (int64 .Values.config.readyTimeoutMs) 999) 1000) 1 -}}
{{- end -}}

{{/* "true" when the PodDisruptionBudget is rendered: as set, else when replicas > 1. */}}
{{- define "fulmar.pdbEnabled" -}}
{{- $enabled := .Values.podDisruptionBudget.enabled -}}
{{- if kindIs "bool" $enabled -}}
{{- ternary "true" "" $enabled -}}
{{- else -}}
{{- ternary "true" "" (gt (int64 .Values.replicas) 1) -}}
{{- end -}}
{{- end -}}

{{/* The Secret the chart creates for the credentials given as values instead of existing Secrets. */}}
{{- define "fulmar.secretName" -}}
{{- include "fulmar.fullname" . -}}
{{- end -}}

{{/*
The entries of that Secret, as YAML (key: base64 value), empty when every credential comes from
an existing Secret. Fulmar's env refers to the same keys (fulmar.secretEnv).
*/}}
{{- define "fulmar.secretData" -}}
{{- $v := .Values -}}
{{- if and (not $v.masterKeys.existingSecret) $v.masterKeys.value }}
{{ $v.masterKeys.key }}: {{ $v.masterKeys.value | b64enc | quote }}
{{- end }}
{{- if and (not $v.adminToken.existingSecret) $v.adminToken.value }}
{{ $v.adminToken.key }}: {{ $v.adminToken.value | b64enc | quote }}
{{- end }}
{{- if and (not $v.console.sessionKey.existingSecret) $v.console.sessionKey.value }}
{{ $v.console.sessionKey.key }}: {{ $v.console.sessionKey.value | b64enc | quote }}
{{- end }}
{{- if and (not $v.console.oidc.clientSecret.existingSecret) $v.console.oidc.clientSecret.value }}
{{ $v.console.oidc.clientSecret.key }}: {{ $v.console.oidc.clientSecret.value | b64enc | quote }}
{{- end }}
{{- $c := $v.s3.credentials -}}
{{- if not $c.existingSecret }}
{{ $c.accessKeyKey }}: {{ $c.accessKey | b64enc | quote }}
{{ $c.secretKeyKey }}: {{ $c.secretKey | b64enc | quote }}
{{- end }}
{{- end -}}

{{/* One env entry from a Secret: (list "NAME" existingSecretName key context). */}}
{{- define "fulmar.secretEnv" -}}
{{- $name := index . 0 -}}
{{- $existing := index . 1 -}}
{{- $key := index . 2 -}}
{{- $root := index . 3 -}}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ default (include "fulmar.secretName" $root) $existing | quote }}
      key: {{ $key | quote }}
{{- end -}}

{{/* A setting as an env value. Numbers from a values file arrive as floats: written as integers. */}}
{{- define "fulmar.envValue" -}}
{{- if kindIs "float64" . -}}
{{- int64 . -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}

{{/*
Every combination of values that cannot run, refused at render time with what to set. Fulmar
would refuse most of them at startup too, but only after the pods are scheduled and crash-looping.
*/}}
{{- define "fulmar.validate" -}}
{{- $v := .Values -}}
{{- $problems := list -}}
{{- if not $v.s3.endpoint -}}
{{- $problems = append $problems "s3.endpoint is required (the S3 endpoint URL, e.g. https://s3.eu-west-1.amazonaws.com or http://minio.storage:9000)" -}}
{{- end -}}
{{- if not $v.s3.bucket -}}
{{- $problems = append $problems "s3.bucket is required (an existing bucket that holds all of Fulmar's state)" -}}
{{- end -}}
{{- if and $v.masterKeys.existingSecret $v.masterKeys.value -}}
{{- $problems = append $problems "masterKeys: give existingSecret or value, not both" -}}
{{- else if not (or $v.masterKeys.existingSecret $v.masterKeys.value) -}}
{{- $problems = append $problems "masterKeys: set masterKeys.existingSecret (preferred; the Secret's key is masterKeys.key) or masterKeys.value. S3 storage needs the master keyring (FULMAR_MASTER_KEYS) that every pod shares; make an entry with `node dist/cli.js keygen k1` and keep a copy apart from the bucket" -}}
{{- end -}}
{{- if and $v.adminToken.existingSecret $v.adminToken.value -}}
{{- $problems = append $problems "adminToken: give existingSecret or value, not both" -}}
{{- else if and $v.adminToken.value (lt (len (toString $v.adminToken.value)) 16) -}}
{{- $problems = append $problems "adminToken.value must be at least 16 characters (FULMAR_ADMIN_TOKEN)" -}}
{{- end -}}
{{- if and $v.console.sessionKey.existingSecret $v.console.sessionKey.value -}}
{{- $problems = append $problems "console.sessionKey: give existingSecret or value, not both" -}}
{{- end -}}
{{- $o := $v.console.oidc -}}
{{- if and $o.clientSecret.existingSecret $o.clientSecret.value -}}
{{- $problems = append $problems "console.oidc.clientSecret: give existingSecret or value, not both" -}}
{{- end -}}
{{- if and $o.issuer (not $o.clientId) -}}
{{- $problems = append $problems "console.oidc.clientId is required with console.oidc.issuer (FULMAR_OIDC_CLIENT_ID)" -}}
{{- end -}}
{{- $c := $v.s3.credentials -}}
{{- if and $c.existingSecret (or $c.accessKey $c.secretKey) -}}
{{- $problems = append $problems "s3.credentials: give existingSecret or accessKey/secretKey, not both" -}}
{{- else if not (or $c.existingSecret (and $c.accessKey $c.secretKey)) -}}
{{- $problems = append $problems "s3.credentials: set s3.credentials.existingSecret (preferred; keys s3.credentials.accessKeyKey and secretKeyKey) or both s3.credentials.accessKey and secretKey" -}}
{{- end -}}
{{- if and $v.monitoring.serviceMonitor.enabled (eq (toString $v.config.metrics) "false") -}}
{{- $problems = append $problems "monitoring.serviceMonitor.enabled needs config.metrics not false (the ServiceMonitor scrapes /metrics)" -}}
{{- end -}}
{{- if and $v.ingress.enabled (not $v.ingress.host) -}}
{{- $problems = append $problems "ingress.host is required with ingress.enabled (the one host clients use; README, \"One URL\")" -}}
{{- end -}}
{{- if $problems -}}
{{- fail (printf "\n\nThe fulmar chart cannot render with these values:\n  - %s\n" (join "\n  - " $problems)) -}}
{{- end -}}
{{- end -}}
