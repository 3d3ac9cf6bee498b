#!/usr/bin/env bash
# Builds compared in fresh JVMs, taking turns: GptTrainThroughput (the toolkit model's tokens/s) of each build, then
# again, ROUNDS times, one JSON line each:
#   bench/alt.sh ROUNDS ROOT_A ROOT_B...
# Each ROOT is a checkout built as for bench/ab.sh. THREADS (default 1) is passed on. About a minute a round for two
# builds. Where bench/ab.sh's StepAB runs both builds in one JVM, this gives each its own JVM every round: in the
# seventeenth session StepAB still favoured whichever build it listed second by ~10 ms a step over 80 steps, and single
# JVMs of one build spread by ~15 %, so compare the pairs of each round, over five rounds or more.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../.mvn/find-jdk.sh"
rounds=$1
shift
for ((i = 0; i < rounds; i++)); do
  for root in "$@"; do
    cp="$root/bench/target/classes:$(cat "$root/bench/target/cp.txt")"
    result="$("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx8g \
        -cp "$cp" dev.t4j.bench.GptTrainThroughput "${THREADS:-1}" 2>/dev/null | tail -1)"
    echo "$root $result"
  done
done
