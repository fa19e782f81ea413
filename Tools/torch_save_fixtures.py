#!/usr/bin/env python3
"""Files written by torch's own `torch.save`, for the tests of vidsearch's pytorch_model.bin
reader (Tests/XCLIPTests/Fixtures/torch-save). Development only.

  Tools/torch_save_fixtures.py Tests/XCLIPTests/Fixtures/torch-save

- f32.bin, f16.bin, bf16.bin: a state dict of float tensors (and an int64 buffer, as
  CLIP's position_ids), as a model's save_pretrained writes it;
- shared.bin: tensors that share one storage (a view at an offset, a transposed view);
- global.bin: a pickle that calls os.system when unpickled, which the reader must refuse;
- expected.safetensors: every float tensor above, materialized, to compare with.
"""
import collections
import os
import pathlib
import sys

import torch
from safetensors.torch import save_file


class Payload:
    def __reduce__(self):
        return (os.system, ("echo this must never run",))


def main():
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(5)
    base = collections.OrderedDict()
    base["vision_model.embeddings.class_embedding"] = torch.randn(8)
    base["vision_model.encoder.layers.0.mlp.fc1.weight"] = torch.randn(6, 8)
    base["text_projection.weight"] = torch.randn(4, 3)
    base["logit_scale"] = torch.tensor(2.6592)
    expected = {}
    for dtype, name in [(torch.float32, "f32"), (torch.float16, "f16"), (torch.bfloat16, "bf16")]:
        state = collections.OrderedDict((k, v.to(dtype)) for k, v in base.items())
        state["vision_model.embeddings.position_ids"] = torch.arange(5).unsqueeze(0)
        torch.save(state, out / f"{name}.bin")
        for k, v in state.items():
            if v.is_floating_point():
                expected[f"{name}/{k}"] = v.float().contiguous()
    whole = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    shared = collections.OrderedDict()
    shared["whole"] = whole
    shared["row"] = whole[2]                 # offset 12 into the same storage
    shared["transposed"] = whole.t()          # strides (1, 6)
    shared["column"] = whole[:, 1]            # offset 1, stride 6
    torch.save(shared, out / "shared.bin")
    for k, v in shared.items():
        expected[f"shared/{k}"] = v.contiguous().clone()
    torch.save({"weight": torch.zeros(2), "payload": Payload()}, out / "global.bin")
    save_file(expected, str(out / "expected.safetensors"))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
