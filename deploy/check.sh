#!/usr/bin/env bash
# Static checks of everything under deploy/ (no containers are run):
#   - Prometheus: `promtool check config`, `check rules`, `test rules` (unit tests of every alert)
#   - Grafana: dashboards regenerated to a temp dir and diffed against the committed JSON;
#     every dashboard query parsed by promtool
#   - Metric names: every metric a rule or dashboard reads is exported by a service (or listed
#     in deploy/prometheus/metric-names.mjs as written ahead of it); the README's metrics
#     catalogue matches the services' declarations, and every name follows the naming rules
#   - Compose: validated against the Compose Specification JSON schema
#   - Kubernetes: every manifest validated against the Kubernetes OpenAPI schemas
# Installs what it needs (Debian's prometheus for promtool, Python packages with pip --user)
# and is safe to run again.  Usage: bash deploy/check.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deploy=$root/deploy
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

say() { printf 'deploy-check: %s\n' "$*"; }
fail() { printf 'deploy-check: FAILED: %s\n' "$*" >&2; exit 1; }

ensure_promtool() {
  command -v promtool >/dev/null && return
  say "installing promtool (Debian package prometheus)"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get install -y --no-install-recommends prometheus >/dev/null 2>&1 ||
    { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends prometheus >/dev/null; } ||
    fail "could not install Debian's prometheus package (promtool)"
}

python_tools=(kubernetes-validate==1.37.0 jsonschema==4.26.0 pyyaml==6.0.3)
compose_go=github.com/compose-spec/compose-go/v2@v2.4.9

ensure_python_tools() {
  python3 -m pip install --user --quiet --disable-pip-version-check "${python_tools[@]}" >/dev/null 2>&1 ||
    fail "pip could not install ${python_tools[*]}"
}

# The Compose Specification schema as shipped in compose-go, the library docker compose uses.
compose_schema() {
  command -v go >/dev/null || fail "go is needed to fetch the Compose schema (module $compose_go)"
  local dir
  dir=$(cd "$work" && go mod download -json "$compose_go" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])') ||
    fail "could not download $compose_go"
  echo "$dir/schema/compose-spec.json"
}

check_prometheus() {
  (cd "$deploy/prometheus" &&
    promtool check config prometheus.yml >/dev/null &&
    promtool check rules rules/*.yml >/dev/null &&
    promtool test rules tests/*.test.yml) || fail "prometheus configuration, rules or rule tests"
  say "prometheus: config, rules and rule unit tests pass"
}

check_grafana() {
  node "$deploy/grafana/generate.mjs" "$work/dashboards"
  diff -ru "$deploy/grafana/dashboards" "$work/dashboards" ||
    fail "dashboards drifted from deploy/grafana/generate.mjs: run node deploy/grafana/generate.mjs and commit"
  node "$deploy/grafana/queries-as-rules.mjs" >"$work/dashboard-queries.yml"
  promtool check rules "$work/dashboard-queries.yml" >/dev/null || fail "a dashboard query does not parse"
  say "grafana: dashboards match their generator and every query parses"
}

check_metric_names() {
  node "$deploy/prometheus/metric-names.mjs" || fail "a rule or dashboard reads a metric no service exports"
  node "$deploy/prometheus/metric-catalogue.mjs" --check || fail "the README's metrics catalogue or a metric's name"
}

check_compose() {
  python3 "$deploy/compose/validate.py" "$(compose_schema)" || fail "deploy/compose/compose.yaml"
}

check_kubernetes() {
  local manifests=() resource
  for resource in $(python3 -c 'import sys, yaml; print(" ".join(yaml.safe_load(open(sys.argv[1]))["resources"]))' "$deploy/kubernetes/kustomization.yaml"); do
    manifests+=("$deploy/kubernetes/$resource")
  done
  python3 -m kubernetes_validate --strict --quiet "${manifests[@]}" || fail "a manifest in deploy/kubernetes does not match the Kubernetes schemas"
  python3 "$deploy/kubernetes/references.py" "${manifests[@]}" || fail "a reference in deploy/kubernetes does not resolve"
  say "kubernetes: ${#manifests[@]} manifests valid against the Kubernetes schemas (strict)"
}

ensure_promtool
ensure_python_tools
check_prometheus
check_grafana
check_metric_names
check_compose
check_kubernetes
say "all checks passed"
