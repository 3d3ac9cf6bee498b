#!/usr/bin/python3
"""Writes the reference T5 (t5-small spiece.model) token ids of every bundled corpus line, made by Debian's
SentencePiece (`apt-get install sentencepiece`: spm_encode), to api/src/test/resources/tokenizer/t5-small/*.ids.gz.
TokenizerExactnessT5Test compares t4j's SentencePiece with them. Lines are cut exactly as that test cuts them:
text files split on '\\n' with a trailing '\\r' dropped; SST-2 the `sentence` column; CNN/DailyMail the article and highlights fields with
'\\n' replaced by ' ' (spm_encode reads one text per line). Run from the repository root; rerun only if the data
or SentencePiece's version changes (this was made with sentencepiece 0.1.97)."""
import csv
import gzip
import subprocess
import sys

ROOT = "."
MODEL = f"{ROOT}/data/tokenizers/t5-small/spiece.model"
OUT = f"{ROOT}/api/src/test/resources/tokenizer/t5-small"


def text_lines(path):
    with open(path, encoding="utf-8", newline="") as f:
        parts = [p[:-1] if p.endswith("\r") else p for p in f.read().split("\n")]
    return parts[:-1] if parts and parts[-1] == "" else parts


def sst2():
    out = []
    for name in ("train", "dev", "test"):
        with open(f"{ROOT}/data/classification/sst2/{name}.tsv", encoding="utf-8", newline="") as f:
            rows = [line.split("\t") for line in f.read().split("\n") if line]
        col = rows[0].index("sentence")
        out += [r[col] for r in rows[1:]]
    return out


def cnn():
    out = []
    with open(f"{ROOT}/data/summarization/cnn_dailymail/validation_1000.csv", encoding="utf-8", newline="") as f:
        for row in list(csv.reader(f))[1:]:
            out += [row[0].replace("\n", " "), row[1].replace("\n", " ")]
    return out


CORPORA = {
    "tinyshakespeare": lambda: text_lines(f"{ROOT}/data/corpora/tinyshakespeare/input.txt"),
    "timemachine": lambda: text_lines(f"{ROOT}/data/corpora/timemachine/timemachine.txt"),
    "wikitext-2-test": lambda: text_lines(f"{ROOT}/data/corpora/wikitext-2/wiki.test.tokens"),
    "wikitext-2-raw-test": lambda: text_lines(f"{ROOT}/data/corpora/wikitext-2-raw/wiki.test.raw"),
    "sst2": sst2,
    "cnn-dailymail": cnn,
}

for name, read in CORPORA.items():
    lines = read()
    if any("\n" in l or "\r" in l for l in lines):
        sys.exit(f"{name}: a line holds a newline; spm_encode would split it")
    res = subprocess.run(["spm_encode", "--model", MODEL, "--output_format=id"], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, check=True)
    ids = res.stdout.split("\n")[:-1]
    if len(ids) != len(lines):
        sys.exit(f"{name}: {len(lines)} lines in, {len(ids)} out")
    with gzip.open(f"{OUT}/{name}.ids.gz", "wt", encoding="utf-8") as f:
        f.write("\n".join(ids) + "\n")
    print(f"{name}: {len(lines)} lines")
