#!/usr/bin/env bash
# Checks the generated codec against Kafka's own message classes: every sample body that the
# Turnout codec encodes must be parsed by the kafka-clients jar of the release that describes
# that version, written back to the same bytes, and hold the same field values (compared through
# Kafka's JSON converters). Needs Java, Maven and the specs (fetch-specs.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
M2="${MAVEN_REPO:-${HOME}/.m2/repository}"
OUT="${ROOT}/.turnout/crosscheck"
JACKSON=2.16.2
jar() { echo "${M2}/$1"; }
for artifact in org.slf4j:slf4j-api:1.7.36 com.fasterxml.jackson.core:jackson-databind:${JACKSON}; do
  g="${artifact%%:*}"; rest="${artifact#*:}"; a="${rest%%:*}"; v="${rest#*:}"
  [[ -f "${M2}/${g//.//}/${a}/${v}/${a}-${v}.jar" ]] || mvn -q dependency:get -Dartifact="${artifact}"
done
DEPS="$(jar org/slf4j/slf4j-api/1.7.36/slf4j-api-1.7.36.jar)"
for a in jackson-databind jackson-core jackson-annotations; do
  DEPS="${DEPS}:$(jar com/fasterxml/jackson/core/${a}/${JACKSON}/${a}-${JACKSON}.jar)"
done
cd "${ROOT}"
sources="$(npx tsx -e "
import { buildApis } from './scripts/codegen/model.ts';
import { loadSpecDir } from './scripts/codegen/spec.ts';
import { RELEASES } from './scripts/codegen/generate.ts';
const apis = buildApis(RELEASES.map((label) => ({ label, specs: loadSpecDir('.turnout/specs/' + label) })));
console.log(JSON.stringify(Object.fromEntries(apis.map((a) => [a.apiKey, Object.fromEntries(a.sources)]))));
")"
rm -rf "${OUT}"
npx tsx scripts/codegen/crosscheck/cases.ts write "${OUT}" "${sources}"
status=0
for f in "${OUT}"/*.txt; do
  release="$(basename "${f}" .txt)"
  echo "kafka-clients ${release}, wire bytes:"
  java -cp "$(jar org/apache/kafka/kafka-clients/${release}/kafka-clients-${release}.jar):${DEPS}" \
    scripts/codegen/crosscheck/CrossCheck.java "${f}" "${OUT}/${release}.json.txt" 2>/dev/null | tail -40 || status=1
done
npx tsx scripts/codegen/crosscheck/cases.ts compare "${OUT}" "${sources}" || status=1
exit "${status}"
