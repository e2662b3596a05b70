"""Checks what schema validation cannot in deploy/kubernetes: every Secret key, ConfigMap,
PersistentVolumeClaim, named probe port and scale target a manifest refers to exists, and
every Service, PodDisruptionBudget and HorizontalPodAutoscaler selects a Deployment (Secret
keys and ConfigMaps of Jobs too), and the ConfigMap warden-nats-auth holds exactly
deploy/nats/warden-auth.conf.

Usage: python3 deploy/kubernetes/references.py [manifest...]  (default: every *.yaml here
but kustomization.yaml)
"""

import pathlib
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parent
NATS_AUTH = HERE.parent / "nats" / "warden-auth.conf"


def load(paths):
    return [doc for path in paths for doc in yaml.safe_load_all(path.read_text()) if doc]


def named(docs, kind):
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def check(docs):
    errors = []
    secrets = {name: set(doc.get("stringData", {})) | set(doc.get("data", {}))
               for name, doc in named(docs, "Secret").items()}
    configmaps = named(docs, "ConfigMap")
    claims = named(docs, "PersistentVolumeClaim")
    deployments = named(docs, "Deployment")
    pod_labels = {name: doc["spec"]["template"]["metadata"]["labels"]
                  for name, doc in deployments.items()}

    def selects_a_deployment(selector):
        return any(all(labels.get(k) == v for k, v in selector.items())
                   for labels in pod_labels.values())

    workloads = {**deployments, **named(docs, "Job")}
    for name, doc in workloads.items():
        spec = doc["spec"]["template"]["spec"]
        if name in deployments and doc["spec"]["selector"]["matchLabels"].items() - pod_labels[name].items():
            errors.append(f"deployment/{name}: selector does not match its pod labels")
        for volume in spec.get("volumes", []):
            claim = volume.get("persistentVolumeClaim", {}).get("claimName")
            if claim and claim not in claims:
                errors.append(f"{doc['kind'].lower()}/{name}: unknown PersistentVolumeClaim {claim}")
        for container in spec["containers"]:
            ports = {port.get("name") for port in container.get("ports", [])}
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                port = container.get(probe, {}).get("httpGet", {}).get("port")
                if isinstance(port, str) and port not in ports:
                    errors.append(f"{doc['kind'].lower()}/{name}: {probe} names unknown port {port}")
            for source in container.get("envFrom", []):
                ref = source.get("configMapRef", {}).get("name")
                if ref and ref not in configmaps:
                    errors.append(f"{doc['kind'].lower()}/{name}: unknown ConfigMap {ref}")
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref and ref["key"] not in secrets.get(ref["name"], set()):
                    errors.append(f"{doc['kind'].lower()}/{name}: {env['name']} reads missing {ref['name']}/{ref['key']}")
    nats_auth = configmaps.get("warden-nats-auth")
    if nats_auth and nats_auth["data"].get("warden-auth.conf") != NATS_AUTH.read_text():
        errors.append("configmap/warden-nats-auth: warden-auth.conf differs from deploy/nats/warden-auth.conf (copy it in)")
    for doc in docs:
        kind, name = doc["kind"], doc["metadata"]["name"]
        if kind == "Service" and not selects_a_deployment(doc["spec"]["selector"]):
            errors.append(f"service/{name}: selects no Deployment")
        if kind == "PodDisruptionBudget" and not selects_a_deployment(doc["spec"]["selector"]["matchLabels"]):
            errors.append(f"poddisruptionbudget/{name}: selects no Deployment")
        if kind == "HorizontalPodAutoscaler" and doc["spec"]["scaleTargetRef"]["name"] not in deployments:
            errors.append(f"horizontalpodautoscaler/{name}: unknown scale target")
    return errors


def main():
    paths = [pathlib.Path(p) for p in sys.argv[1:]] or sorted(
        p for p in HERE.glob("*.yaml") if p.name != "kustomization.yaml")
    docs = load(paths)
    errors = check(docs)
    for error in errors:
        print(f"kubernetes: {error}", file=sys.stderr)
    if errors:
        sys.exit(1)
    print(f"kubernetes: references resolve ({len(docs)} resources)")


if __name__ == "__main__":
    main()
