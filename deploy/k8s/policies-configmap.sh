#!/bin/sh
# Writes the ConfigMap of the policy set from the repository's policies/ folder (policy files only; the
# tests/ folder and the editor schema stay out). Run it whenever the policies change:
#   deploy/k8s/policies-configmap.sh > deploy/k8s/configmap-policies.yaml
set -eu
cd "$(dirname "$0")/../.."
node bin/portcullis.js policy lint policies >&2
set --
for f in policies/*.yaml; do set -- "$@" "--from-file=$f"; done
kubectl create configmap portcullis-policies --namespace portcullis "$@" --dry-run=client -o yaml
