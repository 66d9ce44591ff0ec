#!/usr/bin/env bash
# Checks the generated codec against Kafka's own message classes: the unit suite's
# test/unit/codec/kafka-crosscheck.test.ts (the work is in kafka-crosscheck.ts beside this
# script), run on its own. Needs a JDK and what `npm run setup` fetches.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
exec npx vitest run --project unit test/unit/codec/kafka-crosscheck.test.ts
