#!/usr/bin/env bash
# Starts compose's Kafka (the apache/kafka image) with authentication, from the same templates
# as the local stack: deploy/local/kafka/server.properties and auth.properties (SASL/SCRAM-SHA-256
# for clients, PLAIN to the controller, the StandardAuthorizer, no access without an ACL). The
# SCRAM users warden-<principal> are added when the storage is first formatted, from the
# KAFKA_PASSWORD_<PRINCIPAL> variables of deploy/compose/.env; kafka-init then creates the ACLs.
set -euo pipefail

templates=${WARDEN_KAFKA_TEMPLATES:-/warden/kafka}
kafka_home=${KAFKA_HOME:-/opt/kafka}
data=${KAFKA_DATA_DIR:-/var/lib/kafka/data}
config=${KAFKA_CONFIG_FILE:-/tmp/server.properties}
principals=(admin ingest baseline detector revoker gateway)

for principal in "${principals[@]}" controller; do
  variable="KAFKA_PASSWORD_$(printf %s "$principal" | tr a-z A-Z)"
  [ -n "${!variable:-}" ] || { echo "kafka-start: $variable is not set (deploy/compose/.env)" >&2; exit 1; }
done

(umask 077
  cat "$templates/server.properties" "$templates/auth.properties" |
    sed -e "s|@KAFKA_PORT@|9092|g" -e "s|@CONTROLLER_PORT@|9093|g" -e "s|@DATA_DIR@|$data|g" \
      -e "s|@ADMIN_PASSWORD@|$KAFKA_PASSWORD_ADMIN|g" -e "s|@CONTROLLER_PASSWORD@|$KAFKA_PASSWORD_CONTROLLER|g" >"$config"
  # Other containers reach the broker as kafka:9092; the controller stays inside this one. The
  # local stack's test-friendly retention and rebalance delay go back to Kafka's defaults.
  printf '%s\n' "listeners=CLIENT://0.0.0.0:9092,CONTROLLER://127.0.0.1:9093" \
    "advertised.listeners=CLIENT://${KAFKA_ADVERTISED_HOST:-kafka}:9092" \
    "log.retention.hours=168" "group.initial.rebalance.delay.ms=3000" >>"$config"
  # For the health check's kafka-broker-api-versions.sh.
  printf '%s\n' "security.protocol=SASL_PLAINTEXT" "sasl.mechanism=SCRAM-SHA-256" \
    "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"warden-admin\" password=\"$KAFKA_PASSWORD_ADMIN\";" \
    >"$(dirname "$config")/admin-client.properties")

if [ ! -f "$data/meta.properties" ]; then
  scram=()
  for principal in "${principals[@]}"; do
    variable="KAFKA_PASSWORD_$(printf %s "$principal" | tr a-z A-Z)"
    scram+=(--add-scram "SCRAM-SHA-256=[name=warden-$principal,password=${!variable}]")
  done
  "$kafka_home"/bin/kafka-storage.sh format -t "$("$kafka_home"/bin/kafka-storage.sh random-uuid)" \
    -c "$config" --ignore-formatted "${scram[@]}"
fi
exec "$kafka_home"/bin/kafka-server-start.sh "$config"
