#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a randomly initialised Llama-3.2-1B-shaped model folder for GPU benchmarks (`ferry bench`).

    python3 scripts/make-llama-1b.py OUT_DIR [--layers 16] [--seed 0]

The shapes are Llama-3.2-1B's (hidden 2048, 16 layers, 32 heads over 8 KV heads of 64, MLP 8192, vocab 128,256,
tied embeddings, rope theta 500000 with llama3 scaling): 1.24 B parameters, 2.47 GB of BF16 in one
model.safetensors, written tensor by tensor (peak memory ≈ one tensor). Weights are N(0, 0.02), norms 1.

Tokenizer: no Llama-3 vocabulary ships in ../shared, so the folder gets SmolLM2's tokenizer.json (49,152 ids) from
../shared/models/SmolLM2-135M-Instruct-Q4_1-gguf when present. Token ids past 49,151 that random weights produce are
not decodable, which `ferry bench` does not need (it feeds and counts ids); do not serve this model to clients.
Needs only numpy (the safetensors file is written directly: an 8-byte header length, a JSON header, raw bytes).
"""
import argparse
import json
import os
import shutil
import struct
import sys

import numpy as np

HIDDEN, INTERMEDIATE, HEADS, KV_HEADS, HEAD_DIM, VOCAB = 2048, 8192, 32, 8, 64, 128256


def tensors(layers):
    """(name, shape, kind) in the order they are written; kind is "normal" or "ones"."""
    yield "model.embed_tokens.weight", (VOCAB, HIDDEN), "normal"
    for i in range(layers):
        p = f"model.layers.{i}."
        yield p + "input_layernorm.weight", (HIDDEN,), "ones"
        yield p + "self_attn.q_proj.weight", (HEADS * HEAD_DIM, HIDDEN), "normal"
        yield p + "self_attn.k_proj.weight", (KV_HEADS * HEAD_DIM, HIDDEN), "normal"
        yield p + "self_attn.v_proj.weight", (KV_HEADS * HEAD_DIM, HIDDEN), "normal"
        yield p + "self_attn.o_proj.weight", (HIDDEN, HEADS * HEAD_DIM), "normal"
        yield p + "post_attention_layernorm.weight", (HIDDEN,), "ones"
        yield p + "mlp.gate_proj.weight", (INTERMEDIATE, HIDDEN), "normal"
        yield p + "mlp.up_proj.weight", (INTERMEDIATE, HIDDEN), "normal"
        yield p + "mlp.down_proj.weight", (HIDDEN, INTERMEDIATE), "normal"
    yield "model.norm.weight", (HIDDEN,), "ones"


def bf16_bytes(values):
    """float32 array -> BF16 bytes, round to nearest even."""
    bits = values.astype(np.float32).view(np.uint32)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16).tobytes()


def config(layers):
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "torch_dtype": "bfloat16",
        "hidden_size": HIDDEN, "intermediate_size": INTERMEDIATE, "num_hidden_layers": layers,
        "num_attention_heads": HEADS, "num_key_value_heads": KV_HEADS, "head_dim": HEAD_DIM,
        "vocab_size": VOCAB, "max_position_embeddings": 131072, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
        "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                         "original_max_position_embeddings": 8192},
        "tie_word_embeddings": True, "hidden_act": "silu", "attention_bias": False, "mlp_bias": False,
        "bos_token_id": 1, "eos_token_id": 2,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    parser.add_argument("--layers", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)

    header, offset = {"__metadata__": {"format": "pt"}}, 0
    plan = list(tensors(args.layers))
    for name, shape, _ in plan:
        size = int(np.prod(shape)) * 2
        header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)  # 8-byte alignment of the data, as the reference writer does
    path = os.path.join(args.out, "model.safetensors")
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(encoded)))
        out.write(encoded)
        for name, shape, kind in plan:
            if kind == "ones":
                values = np.ones(shape, dtype=np.float32)
            else:  # in slabs of rows, so the embedding does not need 1 GB of float32 at once
                values = None
                rows = shape[0]
                step = max(1, (1 << 24) // int(np.prod(shape[1:])))
                for start in range(0, rows, step):
                    slab = rng.standard_normal((min(step, rows - start),) + shape[1:], dtype=np.float32) * 0.02
                    out.write(bf16_bytes(slab))
                continue
            out.write(bf16_bytes(values))
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config(args.layers), f, indent=2)
    with open(os.path.join(args.out, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 1, "eos_token_id": 2}, f, indent=2)
    here = os.path.dirname(os.path.abspath(__file__))
    tokenizer = os.path.join(here, "..", "..", "shared", "models", "SmolLM2-135M-Instruct-Q4_1-gguf")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        source = os.path.join(tokenizer, name)
        target = os.path.join(args.out, name)
        if os.path.exists(source):
            if os.path.exists(target):
                os.remove(target)
            shutil.copyfile(source, target)
        else:
            print(f"make-llama-1b: {source} is missing; add a tokenizer.json to {args.out}", file=sys.stderr)
    print(f"make-llama-1b: wrote {path} ({offset / 1e9:.2f} GB, {offset // 2:,} parameters)", file=sys.stderr)


if __name__ == "__main__":
    main()
