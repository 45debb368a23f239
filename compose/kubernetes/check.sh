#!/usr/bin/env bash
# Every overlay rendered by kustomize and validated offline against the API schemas of two
# Kubernetes versions, the newest two that the pinned kubernetes-validate bundles. No cluster needed.
#   compose/kubernetes/check.sh                       # render and validate every overlay (make test)
#   compose/kubernetes/check.sh render overlays/after # print one overlay's manifests
#
# secrets.env is yours and never committed, but kustomize's secretGenerator must read one: the
# overlays are rendered from a scratch copy of this directory in which every secrets.env is a copy
# of its secrets.env.example, so the check never reads your secrets and never depends on them.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
venv=${VENV:-$here/../../.venv}
kubectl=$venv/bin/kubectl
validate=$venv/bin/kubernetes-validate
versions=(1.36.0 1.37.0)
# Gateway API kinds are CRDs, which kubernetes-validate has no schema for: tests/test_kubernetes.py checks them.
crd_kinds='HTTPRoute'

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -R "$here" "$scratch/kubernetes"
find "$scratch/kubernetes" -name secrets.env.example | while read -r example; do
  cp "$example" "${example%.example}"
done

render() {
  "$kubectl" kustomize "$scratch/kubernetes/$1"
}

if [ "${1:-}" = render ]; then
  render "$2"
  exit
fi

failed=0
for overlay in $(cd "$scratch/kubernetes" && ls -d overlays/*/); do
  overlay=${overlay%/}
  for version in "${versions[@]}"; do
    report=$(render "$overlay" | "$validate" --strict --kubernetes-version "$version" -) || failed=1
    # The file is stdin ("-"): name the overlay instead.
    report=${report//INFO - /INFO $overlay }
    report=${report//WARN - /WARN $overlay }
    report=${report//ERROR - /ERROR $overlay }
    echo "$report"
    unexpected=$(grep "^WARN" <<<"$report" | grep -Ev "for kind ($crd_kinds) with" || true)
    if [ -n "$unexpected" ]; then
      echo "not validated: a kind with no schema other than $crd_kinds" >&2
      failed=1
    fi
  done
done
if [ "$failed" = 0 ]; then
  echo "kubernetes: every overlay valid for Kubernetes ${versions[*]} (strict)"
fi
exit "$failed"
