"""Validates deploy/compose/compose.yaml the way `docker compose config` would, without Docker.

1. Interpolates ${VAR}, ${VAR:-default} and ${VAR:?message} from .env.example (as compose does
   from .env) and fails on an unset required variable.
2. Validates the result against the Compose Specification JSON schema (argv[1], shipped in the
   compose-go module).
3. Checks what the schema cannot: depends_on targets exist, named volumes are declared, bind-mount
   sources and build Dockerfiles exist.

Usage: python3 deploy/compose/validate.py <compose-spec.json> [compose file]
"""

import json
import pathlib
import re
import sys

import jsonschema
import yaml

HERE = pathlib.Path(__file__).resolve().parent
VARIABLE = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def read_env(path):
    env = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value
    return env


def interpolate(value, env, errors):
    if isinstance(value, dict):
        return {key: interpolate(item, env, errors) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env, errors) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match):
        name, operator, argument = match.groups()
        current = env.get(name)
        if operator in (":?", "?") and not current:
            errors.append(f"{name} is required: {argument}")
            return ""
        if operator in (":-", "-") and not current:
            return argument
        return current or ""

    return VARIABLE.sub(substitute, value)


def references(project, base):
    errors = []
    services = project.get("services", {})
    volumes = project.get("volumes") or {}
    for name, service in services.items():
        depends = service.get("depends_on", [])
        for target in depends if isinstance(depends, list) else depends.keys():
            if target not in services:
                errors.append(f"{name}: depends_on unknown service {target}")
        for mount in service.get("volumes", []):
            source = mount.split(":")[0] if isinstance(mount, str) else mount.get("source", "")
            if source.startswith("."):
                if not (base / source).exists():
                    errors.append(f"{name}: bind-mount source {source} does not exist")
            elif source and source not in volumes:
                errors.append(f"{name}: volume {source} is not declared under volumes")
        build = service.get("build")
        if isinstance(build, dict):
            dockerfile = base / build.get("context", ".") / build.get("dockerfile", "Dockerfile")
            if not dockerfile.exists():
                errors.append(f"{name}: Dockerfile {dockerfile} does not exist")
    return errors


def main():
    schema = json.loads(pathlib.Path(sys.argv[1]).read_text())
    path = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else HERE / "compose.yaml"
    raw = yaml.safe_load(path.read_text())
    errors = []
    project = interpolate(raw, read_env(HERE / ".env.example"), errors)
    # The schema names a draft-07 URL variant jsonschema does not recognise: say which.
    validator = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)(schema)
    errors += [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in validator.iter_errors(project)
    ]
    errors += references(project, HERE)
    for error in errors:
        print(f"{path.name}: {error}", file=sys.stderr)
    if errors:
        sys.exit(1)
    print(f"{path.name}: valid ({len(project['services'])} services)")


if __name__ == "__main__":
    main()
