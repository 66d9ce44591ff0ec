#!/usr/bin/env bash
# Fetches the kafka-clients jars for the Kafka versions Turnout supports and extracts the
# JSON message specs (common/message/*.json) into .turnout/specs/<version>/.
# Needs Java tooling (mvn, unzip or jar) only when regenerating the codec; a normal build
# uses the committed output in src/codec/generated/.
set -euo pipefail

VERSIONS=("3.9.1" "4.1.1")
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${ROOT}/.turnout/specs"
M2="${MAVEN_REPO:-${HOME}/.m2/repository}"

for v in "${VERSIONS[@]}"; do
  jar="${M2}/org/apache/kafka/kafka-clients/${v}/kafka-clients-${v}.jar"
  if [[ ! -f "${jar}" ]]; then
    mvn -q dependency:get -Dartifact="org.apache.kafka:kafka-clients:${v}" -Dtransitive=false
  fi
  out="${CACHE}/${v}"
  rm -rf "${out}"
  mkdir -p "${out}"
  tmp="$(mktemp -d)"
  if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "${jar}" 'common/message/*.json' -d "${tmp}"
  else
    (cd "${tmp}" && jar xf "${jar}" common/message)
  fi
  mv "${tmp}"/common/message/*.json "${out}/"
  rm -rf "${tmp}"
  echo "kafka-clients ${v}: $(ls "${out}" | wc -l) specs in ${out}"
done
