#!/usr/bin/env bash
# BERT-base forward: t4j (BertForwardThroughput) beside PyTorch eager, 1 and 2 threads. About 2 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
. .mvn/find-jdk.sh
./mvnw -q -B -pl bench -am -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/cp.txt >&2
CP="bench/target/classes:$(cat bench/target/cp.txt)"
echo "| threads | t4j sequences/s | PyTorch sequences/s | t4j / PyTorch |"
echo "|---:|---:|---:|---:|"
for t in 1 2; do
  j=$("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$CP" \
      dev.t4j.bench.BertForwardThroughput $t 2>/dev/null | tail -1)
  p=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=passive OMP_NUM_THREADS=$t \
      /usr/bin/python3 bench/peers/torch_bert_forward.py $t | tail -1)
  /usr/bin/python3 -c "import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); print(f\"| {a['threads']} | {a['sequences_per_s']:.2f} | {b['sequences_per_s']:.2f} | {a['sequences_per_s']/b['sequences_per_s']:.2f} |\")" "$j" "$p"
done
