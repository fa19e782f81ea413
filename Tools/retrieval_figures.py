"""The demo model's retrieval figures over ranked lists, written once for both Python users:
training's fresh-clip evaluation (Tools/demo_training/evaluation.py, from a score matrix) and
Benchmarks/eval_demo.py (through the product's real path). `vidsearch bench quality` reports
the same R@k in Swift (Sources/Bench/Recall.swift).

  R@k        caption -> clip, for seen and for held-out combinations: a hit is any clip of the
             query's class among its first k; `.misses` counts the captions without one
  direction  for each left/right/up/down caption, among the clips of its class and of its mirror
             class (same color and shape, the other way), is the best-ranked one moving its way
             (chance 0.5); split into pairs whose two captions are both seen and pairs with a
             held-out member; `.pairs` counts them
"""
import synthetic_clips as sc

MIRROR = {"moving left": "moving right", "moving right": "moving left", "moving up": "moving down", "moving down": "moving up"}


def retrieval_figures(ranked, class_of, held, ks=(1, 5, 10)):
    """ranked: class -> the clips ranked for its caption, best first; class_of: clip -> the class
    it shows; held: the held-out classes."""
    classes = sc.classes()
    out = {}
    for group, members in [("seen", [c for c in classes if c not in held]), ("heldout", [c for c in classes if c in held])]:
        for k in ks:
            hits = [any(class_of(clip) == c for clip in ranked[c][:k]) for c in members]
            out[f"{group}.R@{k}"] = sum(hits) / max(len(hits), 1)
            out[f"{group}.R@{k}.misses"] = len(hits) - sum(hits)
    pairs = {"seen": [], "mixed": []}
    for c in classes:
        if c[2] not in MIRROR:
            continue
        mirror = (c[0], c[1], MIRROR[c[2]])
        best = next((clip for clip in ranked[c] if class_of(clip) in (c, mirror)), None)
        if best is not None:
            pairs["seen" if c not in held and mirror not in held else "mixed"].append(class_of(best) == c)
    for k, v in pairs.items():
        out[f"direction.{k}"] = sum(v) / max(len(v), 1)
        out[f"direction.{k}.pairs"] = len(v)
    return out
