# Sourced by bench/*.sh: builds the bench module, sets CP and JAVA_HOME, and runs t4j beside a Python peer with
# the environment BENCHMARKS.md prescribes (OpenBLAS's fast kernel, PyTorch's threads not spinning).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. .mvn/find-jdk.sh
./mvnw -q -B -pl bench -am -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/cp.txt >&2
CP="bench/target/classes:$(cat bench/target/cp.txt)"

# t4j_java ARGS...: the JVM with the Vector API and native access, on the bench classpath.
t4j_java() {
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx8g -cp "$CP" "$@"
}

# peer THREADS COMMAND...: a Debian python3-numpy / python3-torch peer on THREADS threads.
peer() {
  local t=$1; shift
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=passive OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t "$@"
}

# versus_torch CLASS PEER_SCRIPT KEY:UNIT:DECIMALS...: a Markdown table of each KEY (from each side's last JSON
# line) for t4j's CLASS and PyTorch's PEER_SCRIPT, on 1 and 2 threads, with their ratio; one run per side and thread
# count, however many keys. BENCH_ARGS, if set, follows the thread count on both sides' command lines.
versus_torch() {
  local class=$1 script=$2; shift 2
  local header="| threads |" rule="|---:|"
  for spec in "$@"; do
    IFS=: read -r key unit decimals <<< "$spec"
    header+=" t4j $unit | PyTorch $unit | t4j / PyTorch |"
    rule+="---:|---:|---:|"
  done
  echo "$header"
  echo "$rule"
  for t in 1 2; do
    local j p
    j=$(t4j_java "dev.t4j.bench.$class" "$t" ${BENCH_ARGS:-} 2>/dev/null | tail -1)
    p=$(peer "$t" /usr/bin/python3 "bench/peers/$script" "$t" ${BENCH_ARGS:-} | tail -1)
    /usr/bin/python3 - "$j" "$p" "$@" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
row = f"| {a['threads']} |"
for spec in sys.argv[3:]:
    k, _, d = spec.split(":")
    d = int(d)
    row += f" {a[k]:.{d}f} | {b[k]:.{d}f} | {a[k] / b[k]:.2f} |"
print(row)
PY
  done
}
