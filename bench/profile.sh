#!/usr/bin/env bash
# Where a training step of the toolkit model goes, on 1 and 2 threads: Java Flight Recorder's samples (every 10 ms)
# over 60 steps after warm-up, by part of the step (StepProfile). Prints Markdown tables for BENCHMARKS.md. About 2.5
# minutes.
. "$(dirname "$0")/lib.sh"
for t in 1 2; do
  t4j_java -XX:FlightRecorderOptions:stackdepth=128 dev.t4j.bench.StepProfile "$t" 60 2>/dev/null
  echo
done
