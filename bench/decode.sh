#!/usr/bin/env bash
# GPT-2 small generation: t4j (GptDecodeThroughput) beside PyTorch eager with a cache, 1 and 2 threads.
# Prints a Markdown table for BENCHMARKS.md. About 2 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
. .mvn/find-jdk.sh
./mvnw -q -B -pl bench -am -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/cp.txt >&2
CP="bench/target/classes:$(cat bench/target/cp.txt)"
echo "| threads | t4j tokens/s | PyTorch tokens/s | t4j / PyTorch |"
echo "|---:|---:|---:|---:|"
for t in 1 2; do
  j=$("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx8g -cp "$CP" \
      dev.t4j.bench.GptDecodeThroughput $t 2>/dev/null | tail -1)
  p=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=passive OMP_NUM_THREADS=$t \
      /usr/bin/python3 bench/peers/torch_gpt_decode.py $t | tail -1)
  /usr/bin/python3 -c "import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); print(f\"| {a['threads']} | {a['tokens_per_s']:.1f} | {b['tokens_per_s']:.1f} | {a['tokens_per_s']/b['tokens_per_s']:.2f} |\")" "$j" "$p"
done
