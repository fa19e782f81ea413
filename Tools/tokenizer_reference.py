#!/usr/bin/env python3
"""Differential check of `vidsearch tokenize` against the original CLIP SimpleTokenizer.

Development time only (needs `pip install clip-anytorch ftfy regex`). Generates random
strings from a mix of ASCII, punctuation, accents, CJK, emoji, entities and odd whitespace,
and compares the ids. Usage: Tools/tokenizer_reference.py [.build/debug/vidsearch] [count]
"""
import json
import random
import subprocess
import sys

import importlib.util
import pathlib

# Load clip/simple_tokenizer.py by path: importing the clip package would pull in torch.
_spec = importlib.util.find_spec("clip")
_path = pathlib.Path(_spec.submodule_search_locations[0]) / "simple_tokenizer.py"
_module_spec = importlib.util.spec_from_file_location("simple_tokenizer", _path)
_module = importlib.util.module_from_spec(_module_spec)
_module_spec.loader.exec_module(_module)
SimpleTokenizer = _module.SimpleTokenizer

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/vidsearch"
count = int(sys.argv[2]) if len(sys.argv) > 2 else 300
reference = SimpleTokenizer()
rng = random.Random(1234)
pieces = ["a", "dog", "Running", "THE", "can't", "we'll", " ", "  ", "\t", "\n", "\r\n", "!", "?!", "...", "'", '"',
          "3", "42", "1.5", "&amp;", "&lt;b&gt;", "&eacute;", "&#x263A;", "&#169;", "&AMP;", "&nbsp;", "é", "ü", "ß",
          "ﬁ", "Ａ", "１", "“", "”", "‘", "’", "日本", "語", "中文", "😀", "🐶", "👍🏽", "-", "_", "@", "#", "$",
          "\u00a0", "\u2003", "\u200b", "\x85", "\x96", "Ĳ", "ﬀ", "ǆ", "<", ">", "<|endoftext|>", "e\u0301", "İ", "ſ"]
failures = 0
for _ in range(count):
    text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
    expected = [49406] + reference.encode(text)[:75] + [49407]
    out = subprocess.run([binary, "tokenize", "--json", "--", text], capture_output=True, text=True)
    got = json.loads(out.stdout)["ids"] if out.returncode == 0 else out.stderr
    if got != expected:
        failures += 1
        print("MISMATCH", repr(text), expected, got)
print(f"{count - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
