#!/usr/bin/env bash
# Checks the generated codec against Kafka's own message classes: every sample body that the
# Turnout codec encodes must be parsed by the kafka-clients jar of the release that describes
# that version and written back to the same bytes. Needs Java and the jars (fetch-specs.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
M2="${MAVEN_REPO:-${HOME}/.m2/repository}"
OUT="${ROOT}/.turnout/crosscheck"
SLF4J="${M2}/org/slf4j/slf4j-api/1.7.36/slf4j-api-1.7.36.jar"
[[ -f "${SLF4J}" ]] || mvn -q dependency:get -Dartifact=org.slf4j:slf4j-api:1.7.36 -Dtransitive=false
cd "${ROOT}"
sources="$(npx tsx -e "
import { buildApis } from './scripts/codegen/model.ts';
import { loadSpecDir } from './scripts/codegen/spec.ts';
import { RELEASES } from './scripts/codegen/generate.ts';
const apis = buildApis(RELEASES.map((label) => ({ label, specs: loadSpecDir('.turnout/specs/' + label) })));
console.log(JSON.stringify(Object.fromEntries(apis.map((a) => [a.apiKey, Object.fromEntries(a.sources)]))));
")"
npx tsx scripts/codegen/crosscheck/cases.ts "${OUT}" "${sources}"
status=0
for f in "${OUT}"/*.txt; do
  release="$(basename "${f}" .txt)"
  echo "kafka-clients ${release}:"
  java -cp "${M2}/org/apache/kafka/kafka-clients/${release}/kafka-clients-${release}.jar:${SLF4J}" \
    scripts/codegen/crosscheck/CrossCheck.java "${f}" | tail -40 || status=1
done
exit "${status}"
