#!/usr/bin/env bash
# Tokenizer encoding speed on Tiny Shakespeare, one thread: t4j beside Hugging Face tokenizers (Rust, via DJL) and
# SentencePiece's spm_encode (Debian `sentencepiece`). Prints Markdown rows for BENCHMARKS.md.
. "$(dirname "$0")/lib.sh"
echo "| tokenizer | t4j tokens/s | Hugging Face tokenizers (Rust) tokens/s |"
echo "|---|---:|---:|"
RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false t4j_java -Dt4j.threads=1 dev.t4j.bench.TokenizerThroughput . 2>/dev/null
if command -v spm_encode >/dev/null; then
  f=data/corpora/tinyshakespeare/input.txt
  n=$(spm_encode --model data/tokenizers/t5-small/spiece.model --output_format=id < "$f" | wc -w)
  s=$( { /usr/bin/time -f %e spm_encode --model data/tokenizers/t5-small/spiece.model --output_format=id < "$f" > /dev/null; } 2>&1 )
  echo "spm_encode (t5-small, C++, whole file, process included): $(python3 -c "print(round($n/$s))") tokens/s"
fi
