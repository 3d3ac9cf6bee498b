#!/usr/bin/env bash
# In-JVM A/B of the GPT toolkit model's training step (one thread, or -Dab.threads) across builds:
#   bench/ab.sh STEPS ROOT_A ROOT_B...
# Each ROOT is a checkout built with
#   ./mvnw -q -B -pl bench -am -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/cp.txt
# (a clone of another commit: git clone . /tmp/base && git -C /tmp/base checkout COMMIT). bench/ab/Stepper.java is
# compiled against each; bench/ab/StepAB.java interleaves their steps and prints each build's median step time and
# its paired difference from the first. About a minute for 40 steps. JAVA_OPTS reaches the JVM (-Dt4j.* switches;
# -Dab.threads=2 for two threads). The step's matrix products alone, for a GEMM change:
#   JAVA_OPTS='-Dab.class=dev.t4j.bench.ProductsStepper -Dab.only=LM+head+dx' bench/ab.sh 40 ROOT_A ROOT_B
# (bench/ab/ProductsStepper.java; -Dab.only picks one of TrainingProducts' shapes, '+' for a space).
# Resolution about 2 ms on the AMD machine of sessions 1-11, where the build listed second came out ~1 ms faster (A/A
# runs); on the Intel machine of the twelfth session that bias was up to ~20 ms a step. Each round now starts with the
# next build in turn; what remains is each JVM's own compilation of each build: identical builds differed by -3.9 and
# +2.8 ms a step in two runs, and one product's A/B moved by 3 ms (5 %) from one JVM to the next. Run every call both
# ways round, take half the difference of the two orders, and repeat it in fresh JVMs before trusting 2-3 %. In the
# seventeenth session the build listed second still came out ~10 ms a step faster over 80 steps: for the whole step,
# bench/alt.sh (fresh JVMs taking turns) is the steadier comparison.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../.mvn/find-jdk.sh"
steps=$1
shift
for root in "$@"; do
  cp="$root/bench/target/classes:$(cat "$root/bench/target/cp.txt")"
  rm -rf "$root/target/ab" && mkdir -p "$root/target/ab"
  "$JAVA_HOME/bin/javac" -nowarn -d "$root/target/ab" -cp "$cp" --add-modules jdk.incubator.vector \
      "$here/ab/Stepper.java" "$here/ab/ProductsStepper.java" 2>&1 | { grep -v -e '^warning' -e 'incubating' || true; }
done
out="$(mktemp -d)"
"$JAVA_HOME/bin/javac" -d "$out" "$here/ab/StepAB.java"
"$JAVA_HOME/bin/java" ${JAVA_OPTS:-} --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx12g \
    -cp "$out" StepAB "$steps" "$@" 2>&1 | grep -v -e '^WARNING' -e 'incubating'
rm -rf "$out"
