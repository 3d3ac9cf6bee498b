#!/usr/bin/env bash
# The CUDA runtime's check on a real GPU, in two halves.
#
#   scripts/gpu-check.sh bundle   here (JDK 25 + Maven): builds the jars and packs target/gpu-bundle.tar.xz, a
#                                 jlinked Java 25 runtime (java.base, java.logging, jdk.incubator.vector, jdk.zipfs,
#                                 jdk.unsupported; no java.desktop, so no plots) with t4j's jars and the CUDA tests.
#   scripts/gpu-check.sh run      on the GPU machine (CUDA driver, no JDK or Maven), from the repository root with
#                                 the bundle beside it: unpacks it and runs, each step timed and bounded,
#                                   1. the backends found and why any is unavailable,
#                                   2. the runtime-cuda tests (op parity suite CUDA vs reference, kernels, planner),
#                                   3. t4j parity on the bundled hf-reference folders (GPT-2, BERT, T5) on CUDA,
#                                   4. a short GPT pretraining run on CUDA,
#                                   5. the GPU benchmarks (bench GpuBenchmark: GEMMs, GPT-2 small training and
#                                      decoding, attention alone; T5Throughput and BertForwardThroughput with the
#                                      argument cuda) and their PyTorch peers (bench/peers/torch_gpu.py, torch_t5.py
#                                      and torch_bert_forward.py with T4J_PEER_DEVICE=cuda) on the same GPU,
#                                 and prints a table of t4j's figures beside PyTorch's and a summary. Output also
#                                 goes to $OUT/gpu-check.log, the benchmarks' JSON lines to $OUT/gpu-bench.jsonl.
#                                 T4J_CHECK_BACKEND=cpu runs the same steps on the CPU (to try the script out).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUNDLE_TAR=target/gpu-bundle.tar.xz

bundle() {
  set -e
  . .mvn/find-jdk.sh
  ./mvnw -q -B -DskipTests install
  local b=target/gpu-bundle
  rm -rf "$b" && mkdir -p "$b/lib" "$b/test"
  "$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,jdk.incubator.vector,jdk.unsupported,jdk.zipfs \
    --strip-debug --no-man-pages --no-header-files --compress=zip-9 --output "$b/jre" 2>/dev/null
  cp cli/target/t4j-cli.jar cli/target/lib/*.jar bench/target/t4j-bench-*.jar "$b/lib/"
  (cd runtime-cuda/target/test-classes && "$JAVA_HOME/bin/jar" cf "$ROOT/$b/test/t4j-runtime-cuda-tests.jar" .)
  # of api's tests only the testkit (the op parity suite), not their tokenizer resources
  (cd api/target/test-classes && "$JAVA_HOME/bin/jar" cf "$ROOT/$b/test/t4j-api-testkit.jar" dev/t4j/testkit)
  local junit assertj
  junit=$(sed -n 's:.*<junit.version>\(.*\)</junit.version>.*:\1:p' pom.xml)
  assertj=$(sed -n 's:.*<assertj.version>\(.*\)</assertj.version>.*:\1:p' pom.xml)
  ./mvnw -q -B dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit" \
    -DoutputDirectory="$b/test"
  ./mvnw -q -B dependency:copy -Dartifact="org.assertj:assertj-core:$assertj" -DoutputDirectory="$b/test"
  tar -C target -cJf "$BUNDLE_TAR" gpu-bundle
  echo "bundle: $BUNDLE_TAR ($(du -h "$BUNDLE_TAR" | cut -f1)); on the GPU machine: scripts/gpu-check.sh run"
}

# step NAME SECONDS COMMAND...: runs one step with a time limit, records PASS/FAIL and its duration; with TEE_TO
# set, its output is also appended to that file.
SUMMARY=()
step() {
  local name=$1 limit=$2; shift 2
  echo
  echo "=== $name (limit ${limit}s)"
  local t0=$SECONDS rc
  if [ -n "${TEE_TO:-}" ]; then
    timeout "$limit" "$@" | tee -a "$TEE_TO"
    rc=${PIPESTATUS[0]}
  else
    timeout "$limit" "$@"
    rc=$?
  fi
  local verdict=PASS
  [ $rc -eq 124 ] && verdict="TIMEOUT" || { [ $rc -ne 0 ] && verdict="FAIL (exit $rc)"; }
  SUMMARY+=("$(printf '%-44s %-16s %4ds' "$name" "$verdict" $((SECONDS - t0)))")
}

# bench_step NAME SECONDS COMMAND...: a step whose JSON lines also go to $BENCH_LOG for the table.
bench_step() {
  TEE_TO=$BENCH_LOG step "$@"
}

# bench_table: t4j's and PyTorch's figures side by side, from the JSON lines of $BENCH_LOG.
bench_table() {
  python3 - "$BENCH_LOG" <<'PY' || echo "(no benchmark table: python3 could not read $BENCH_LOG)"
import json, sys
t4j, torch = {}, {}
for line in open(sys.argv[1]):
    line = line.strip()
    if not line.startswith("{"):
        continue
    try:
        r = json.loads(line)
    except ValueError:
        continue
    side = torch if str(r.get("backend", "")).startswith("torch") else t4j
    if "error" in r:
        side[r["bench"]] = "error: " + r["error"][:60]
    elif r.get("bench") == "gemm":
        dtype = {"f32": "float32", "bf16": "bfloat16"}.get(r["dtype"].lower(), r["dtype"].lower())
        key = f"gemm {dtype} {r['n']} TFLOP/s"
        side[key + " (second run: TF32)" if side is t4j and key in side else key] = r["tflops"]
    elif r.get("bench") == "train":
        side[f"train tokens/s ({r.get('attention', 'materialised')})"] = r["tokens_per_s"]
    elif r.get("bench") == "decode":
        side["decode tokens/s"] = r["tokens_per_s"]
    elif r.get("bench") == "t5":
        side["T5-small encode 512 tokens, tokens/s"] = round(r["encode_tokens_per_s"])
        side["T5-small greedy decode, tokens/s"] = round(r["decode_tokens_per_s"], 1)
        if "request_tokens_per_s" in r:
            side["T5-small request (encode 512 + 64 greedy), tokens/s"] = round(r["request_tokens_per_s"], 1)
    elif r.get("bench") == "bert":
        side["BERT-base forward 8 x 128, sequences/s"] = round(r["sequences_per_s"], 1)
    elif r.get("bench") == "attention":
        path = "fused (t4j) / sdpa (PyTorch)" if r["path"] in ("fused", "sdpa") else "materialised"
        side[f"causal attention fwd+bwd, 4x12x{r['seq']}x64, {path}, ms"] = r["ms"]
print("| figure | t4j | PyTorch |")
print("|---|---:|---:|")
for k in list(dict.fromkeys(list(t4j) + list(torch))):
    print(f"| {k} | {t4j.get(k, '-')} | {torch.get(k, '-')} |")
PY
}

run_checks() {
  local b=/tmp/t4j-gpu-bundle
  if [ ! -d "$b/gpu-bundle" ]; then
    mkdir -p "$b"
    # tar's xz support needs the xz program; Python's lzma does not
    tar -C "$b" -xJf "$BUNDLE_TAR" 2>/dev/null || python3 -c "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" \
      "$BUNDLE_TAR" "$b" || { echo "cannot unpack $BUNDLE_TAR"; exit 1; }
    chmod -R u+x "$b/gpu-bundle/jre/bin" "$b/gpu-bundle/jre/lib" 2>/dev/null
  fi
  b="$b/gpu-bundle"
  local backend=${T4J_CHECK_BACKEND:-cuda}
  BENCH_LOG=${OUT:-/tmp}/gpu-bench.jsonl
  : > "$BENCH_LOG"
  echo "=== machine"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>&1 | head -4
  echo "libcuda: $(ldconfig -p 2>/dev/null | grep -m1 'libcuda.so.1' || echo 'not in ldconfig'); LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
  # cuBLAS where PyTorch users have it: the nvidia-* wheels beside the python3 that holds torch
  local wheels
  wheels=$(python3 - <<'PY' 2>/dev/null
import glob, os, site, sys
dirs = set()
for sp in site.getsitepackages() + [site.getusersitepackages()]:
    for f in glob.glob(os.path.join(sp, "nvidia", "**", "libcublas.so*"), recursive=True):
        dirs.add(os.path.dirname(f))
print(":".join(sorted(dirs)))
PY
)
  [ -n "$wheels" ] && export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$wheels"
  echo "cuBLAS folders from python3's wheels: ${wheels:-none}"
  local java=("$b/jre/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED
    -XX:+UseParallelGC -Xss8m -Xmx24g -Dt4j.home="$ROOT" -Dt4j.backend="$backend")
  local cp="$b/lib/*"
  step "backends" 30 "${java[@]}" -cp "$cp" dev.t4j.cli.Main backends
  step "runtime-cuda tests (op parity vs reference)" 100 "${java[@]}" -Dt4j.cuda.sync=true -jar "$b"/test/junit-platform-console-standalone-*.jar \
    execute --disable-banner --details=summary --details-theme=ascii --fail-if-no-tests \
    --class-path "$b/test/t4j-runtime-cuda-tests.jar:$b/test/t4j-api-testkit.jar:$(ls "$b"/test/assertj-core-*.jar):$(ls "$b"/lib/*.jar | tr '\n' ':')" \
    --select-package dev.t4j.cuda --exclude-classname ".*Emulated.*"
  step "hf-reference parity on $backend" 50 "${java[@]}" -cp "$cp" dev.t4j.cli.Main parity fixtures/hf-reference/gpt2 \
    fixtures/hf-reference/bert-mlm fixtures/hf-reference/bert-cls fixtures/hf-reference/t5
  step "pretrain gpt, 200 steps on $backend" 70 "${java[@]}" -cp "$cp" dev.t4j.cli.Main pretrain gpt --steps 200 \
    --out /tmp/t4j-gpu-run
  if [ "$backend" = cuda ]; then
    bench_step "GPU benchmarks: t4j" 150 "${java[@]}" -cp "$cp" dev.t4j.bench.GpuBenchmark all cuda
    bench_step "GPU benchmarks: PyTorch peer" 110 env PYTHONUNBUFFERED=1 python3 bench/peers/torch_gpu.py all
    bench_step "GPU benchmarks: t4j T5-small encode/decode" 90 "${java[@]}" -cp "$cp" dev.t4j.bench.T5Throughput cuda
    bench_step "GPU benchmarks: t4j BERT-base forward" 60 "${java[@]}" -cp "$cp" dev.t4j.bench.BertForwardThroughput cuda
    bench_step "GPU benchmarks: PyTorch T5-small, BERT-base" 90 env T4J_PEER_DEVICE=cuda PYTHONUNBUFFERED=1 sh -c \
      'python3 bench/peers/torch_t5.py 1 && python3 bench/peers/torch_bert_forward.py 1'
    bench_step "GPU benchmarks: t4j train, fused attention kernels" 30 "${java[@]}" -Dt4j.attention=fused \
      -cp "$cp" dev.t4j.bench.GpuBenchmark train cuda
    step "t4j train, op profile (each op synchronised)" 45 "${java[@]}" -Dt4j.cuda.profile=true -cp "$cp" \
      dev.t4j.bench.GpuBenchmark train cuda
    bench_step "GPU benchmarks: t4j gemm with TF32" 25 "${java[@]}" -Dt4j.cuda.tf32=true -cp "$cp" \
      dev.t4j.bench.GpuBenchmark gemm cuda
  else # trying the script out: the decode benchmark alone (the others take minutes on a CPU)
    bench_step "benchmark: t4j decode" 120 "${java[@]}" -cp "$cp" dev.t4j.bench.GpuBenchmark decode "$backend"
  fi
  echo
  echo "=== benchmarks (JSON lines in $BENCH_LOG)"
  bench_table
  echo
  echo "=== summary ($backend)"
  printf '%s\n' "${SUMMARY[@]}"
}

case "${1:-}" in
  bundle) bundle ;;
  run)
    if [ -n "${OUT:-}" ]; then
      run_checks 2>&1 | tee "$OUT/gpu-check.log"
    else
      run_checks
    fi
    ;;
  *) echo "usage: scripts/gpu-check.sh bundle|run (see the comment at the top)" >&2; exit 2 ;;
esac
