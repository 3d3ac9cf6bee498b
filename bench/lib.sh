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

# peer THREADS COMMAND...: a Debian python3-numpy / python3-torch peer on THREADS threads. glibc's malloc keeps what
# it frees (no mmap'd blocks, no trimming), as t4j's host memory pool does: PyTorch frees its large tensors to the OS
# and faults them in again every step, and on a virtual machine where a page fault costs ~14 us (the twenty-second
# session's) that halved the training peer (1,650 -> 4,030 tokens/s; BENCHMARKS.md, the peers' paragraph at the top).
peer() {
  local t=$1; shift
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 \
      OMP_WAIT_POLICY=passive OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t "$@"
}

# versus_torch CLASS PEER_SCRIPT KEY:UNIT:DECIMALS...: a Markdown table of each KEY (from each side's last JSON
# line) for t4j's CLASS and PyTorch's PEER_SCRIPT, on 1 and 2 threads, with their ratio, however many keys.
# BENCH_ARGS, if set, follows the thread count on both sides' command lines. REPEAT=N (default 1) runs the two sides
# N times each, alternately, and reports each side's median: this machine's speed drifts by 5-10 % over minutes, and
# one run per side can land the two in different phases.
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
    local runs=() i
    for ((i = 0; i < ${REPEAT:-1}; i++)); do
      runs+=("$(t4j_java "dev.t4j.bench.$class" "$t" ${BENCH_ARGS:-} 2>/dev/null | tail -1)")
      runs+=("$(peer "$t" /usr/bin/python3 "bench/peers/$script" "$t" ${BENCH_ARGS:-} | tail -1)")
    done
    /usr/bin/python3 - "$#" "$@" "${runs[@]}" <<'PY'
import json, statistics, sys
n = int(sys.argv[1])
specs, runs = sys.argv[2:2 + n], [json.loads(r) for r in sys.argv[2 + n:]]
ours, theirs = runs[0::2], runs[1::2]
row = f"| {ours[0]['threads']} |"
for spec in specs:
    k, _, d = spec.split(":")
    d = int(d)
    a = statistics.median(r[k] for r in ours)
    b = statistics.median(r[k] for r in theirs)
    row += f" {a:.{d}f} | {b:.{d}f} | {a / b:.2f} |"
print(row)
PY
  done
}
