#!/usr/bin/python3
"""Makes the quantization-aware ONNX test models and PyTorch's references.

For each model (torchvision's quantizable resnet18 and mobilenet_v2, random
weights) and batch size, writes into OUT/<model>_b<batch>/:

  m.onnx         the QAT model exported with torch.onnx.export (opset 13):
                 QuantizeLinear -> [Clip] -> DequantizeLinear pairs around
                 Conv, BatchNormalization, Gemm, ...
  m_layers.onnx  the same graph with the output of every *activation*
                 DequantizeLinear appended to graph.output, in node order
                 (an activation pair is one whose QuantizeLinear input is not
                 a constant weight chain: initializer / Constant / Identity)
  x.npy          the input, Float32 [batch, 3, 224, 224], seeded
  ref.npy        PyTorch's eval output on x (mkldnn as PyTorch defaults)
  act_000.npy .. PyTorch's activations on x, captured by forward hooks on the
                 activation FakeQuantize modules (every FakeQuantize but the
                 weight_fake_quant ones) in call order; act_K matches the
                 K-th activation DequantizeLinear of the ONNX graph
  meta.json      per activation: the ONNX tensor name, its output index in
                 m_layers.onnx, scale, zero point, quant_min/max, the PyTorch
                 module name, and PyTorch's own spread on it (mkldnn off
                 against on: fraction of elements that differ, that differ
                 by more than one step, the largest difference in steps);
                 the output's scale; the output's spread (relative L2,
                 mkldnn off against on)
  stamp          written last, holding a hash of this script: a directory
                 without a matching stamp is made again

How the model is made (the issue's recipe): the quantizable torchvision model
with quantize=False and random weights (torch.manual_seed), fuse_model(
is_qat=True), qconfig get_default_qat_qconfig("fbgemm", version=0),
prepare_qat, three forward passes in train mode on seeded random batches
(observers calibrate, batch norm statistics move), eval(),
apply(disable_observer), export. The activations' fake quantizations have
quant_min 0, quant_max 127 (fbgemm's reduce_range): the exporter writes them
as QuantizeLinear (UInt8) -> Clip(max=127) -> DequantizeLinear.

Matching PyTorch's hooks to ONNX's pairs: the exporter traces the forward
call, so the activation pairs come out in the order the FakeQuantize modules
are called; the script checks that the counts are equal and, pair by pair,
that scale and zero point are equal (bit for bit) and that the shapes agree.
Where that order check fails, it falls back to matching by (scale, zero
point, shape), taking for each ONNX pair the first PyTorch activation not yet
taken that has them, and says so; it fails if some pair has no match.

Needs Debian's python3-torch (1.13), python3-torchvision (0.14), python3-onnx
(1.12) and numpy; qjit itself does not. Generating one model takes about ten
seconds. From the repository root:

    /usr/bin/python3 scripts/onnx_models.py OUT [--models resnet18,mobilenet_v2]
        [--batches 1,8] [--force]

Exit status 77 when torch, torchvision or onnx cannot be imported (ctest's
skip code in test/models/).
"""

import argparse
import hashlib
import json
import os
import sys
import warnings

SKIP = 77
MODELS = ("resnet18", "mobilenet_v2")
BATCHES = (1, 8)
MODEL_SEED = 0     # weights (torch.manual_seed before the model is built)
CALIB_SEED = 100   # the calibration batches
INPUT_SEED = 1     # x: batch b is the first b rows of one seeded [8, ...] draw
CALIB_STEPS, CALIB_BATCH = 3, 2
MAX_BATCH = 8
IMAGE = (3, 224, 224)
OPSET = 13


def import_deps():
    """(torch, torchvision, onnx, numpy) or exit SKIP with the reason."""
    try:
        import numpy
        import onnx
        import torch
        import torchvision
    except ImportError as e:  # pragma: no cover - depends on the machine
        print(f"SKIP: {e} (install python3-torch, python3-torchvision and "
              f"python3-onnx to make the ONNX test models)", file=sys.stderr)
        sys.exit(SKIP)
    return torch, torchvision, onnx, numpy


def script_hash():
    with open(os.path.abspath(__file__), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


# ---------------------------------------------------------------------------
# PyTorch: the QAT model.
# ---------------------------------------------------------------------------

def build_qat_model(name):
    """The QAT model in eval mode with observers off (the issue's recipe)."""
    torch, torchvision, _, _ = import_deps()
    from torch.ao import quantization as tq
    torch.manual_seed(MODEL_SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = getattr(torchvision.models.quantization, name)(
            weights=None, quantize=False)
        model.train()
        model.fuse_model(is_qat=True)
        model.qconfig = tq.get_default_qat_qconfig("fbgemm", version=0)
        tq.prepare_qat(model, inplace=True)
        gen = torch.Generator().manual_seed(CALIB_SEED)
        with torch.no_grad():
            for _ in range(CALIB_STEPS):
                model(torch.randn((CALIB_BATCH,) + IMAGE, generator=gen))
    model.eval()
    model.apply(tq.disable_observer)
    return model


def make_input(batch):
    torch, _, _, _ = import_deps()
    gen = torch.Generator().manual_seed(INPUT_SEED)
    return torch.randn((MAX_BATCH,) + IMAGE, generator=gen)[:batch].contiguous()


def activation_fake_quants(model):
    """[(name, module)] of the activation FakeQuantize modules."""
    from torch.ao.quantization import FakeQuantizeBase
    return [(n, m) for n, m in model.named_modules()
            if isinstance(m, FakeQuantizeBase)
            and not n.split(".")[-1] == "weight_fake_quant"]


def run_with_hooks(model, x):
    """(output, [(module name, activation)]) with the activations in call
    order."""
    torch, _, _, _ = import_deps()
    captured = []
    handles = []
    for name, module in activation_fake_quants(model):
        def hook(mod, inputs, output, name=name):
            captured.append((name, mod, output.detach().clone()))
        handles.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            y = model(x)
    finally:
        for h in handles:
            h.remove()
    return y, captured


def rel_l2(a, b):
    """||a - b|| / ||b|| in float64."""
    import numpy as np
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def step_stats(a, b, scale):
    """(fraction of elements that differ, fraction that differ by more than
    one step, largest difference in steps) of two tensors on one grid."""
    import numpy as np
    steps = np.rint(np.abs(np.asarray(a, np.float64) -
                           np.asarray(b, np.float64)) / scale)
    return (float((steps > 0).mean()), float((steps > 1).mean()),
            int(steps.max()) if steps.size else 0)


def pytorch_spread(model, x):
    """PyTorch against itself: (relative L2 of the output with mkldnn off
    against on, [activation k with mkldnn off, on]): a different convolution
    algorithm, as another compiler would pick, gives this much."""
    torch, _, _, _ = import_deps()
    with torch.backends.mkldnn.flags(enabled=True):
        on, acts_on = run_with_hooks(model, x)
    with torch.backends.mkldnn.flags(enabled=False):
        off, acts_off = run_with_hooks(model, x)
    return (rel_l2(off.numpy(), on.numpy()),
            [(a[2].numpy(), b[2].numpy()) for a, b in zip(acts_off, acts_on)])


# ---------------------------------------------------------------------------
# ONNX: the activation QDQ pairs.
# ---------------------------------------------------------------------------

class OnnxGraphInfo:
    def __init__(self, model):
        import onnx.numpy_helper as nh
        self.graph = model.graph
        self.producer = {}
        for node in self.graph.node:
            for out in node.output:
                self.producer[out] = node
        self.initializers = {i.name: nh.to_array(i)
                             for i in self.graph.initializer}

    def constant_value(self, name):
        """The value of a constant tensor (initializer, Constant, through
        Identity), or None."""
        import onnx.numpy_helper as nh
        while True:
            if name in self.initializers:
                return self.initializers[name]
            node = self.producer.get(name)
            if node is None:
                return None
            if node.op_type == "Constant":
                for a in node.attribute:
                    if a.name == "value":
                        return nh.to_array(a.t)
                return None
            if node.op_type != "Identity":
                return None
            name = node.input[0]

    def is_constant_chain(self, name):
        """Whether name is computed from constants only (weights: an
        initializer or Constant, maybe through Identity)."""
        return self.constant_value(name) is not None

    def activation_pairs(self):
        """[dict] of the activation DequantizeLinear nodes in node order."""
        import numpy as np
        pairs = []
        for index, node in enumerate(self.graph.node):
            if node.op_type != "DequantizeLinear":
                continue
            src = self.producer.get(node.input[0])
            clip = None
            if src is not None and src.op_type == "Clip":
                clip = src
                src = self.producer.get(src.input[0])
            if src is None or src.op_type != "QuantizeLinear":
                raise SystemExit(f"DequantizeLinear {node.output[0]}: input "
                                 f"is not QuantizeLinear [-> Clip]")
            if self.is_constant_chain(src.input[0]):
                continue  # a weight
            scale = self.constant_value(node.input[1])
            zp = (self.constant_value(node.input[2])
                  if len(node.input) > 2 and node.input[2] else
                  np.zeros((), np.uint8))
            if scale is None or zp is None or scale.size != 1:
                raise SystemExit(f"{node.output[0]}: the activation's scale "
                                 f"and zero point must be per-tensor constants")
            info = np.iinfo(zp.dtype)
            qmin, qmax = int(info.min), int(info.max)
            if clip is not None:
                lo = (self.constant_value(clip.input[1])
                      if len(clip.input) > 1 and clip.input[1] else None)
                hi = (self.constant_value(clip.input[2])
                      if len(clip.input) > 2 and clip.input[2] else None)
                qmin = max(qmin, int(lo)) if lo is not None else qmin
                qmax = min(qmax, int(hi)) if hi is not None else qmax
            pairs.append({
                "onnx_name": node.output[0],
                "node_index": index,
                "scale": float(np.float32(scale.reshape(()))),
                "zero_point": int(zp.reshape(())),
                "quant_min": qmin,
                "quant_max": qmax,
            })
        return pairs


def layers_model(model, pairs):
    """A copy of model with every activation DequantizeLinear output also a
    graph output (appended in node order); returns (model, {onnx name:
    output index})."""
    import onnx
    layered = onnx.ModelProto()
    layered.CopyFrom(model)
    inferred = onnx.shape_inference.infer_shapes(model)
    types = {v.name: v for v in inferred.graph.value_info}
    index = {o.name: i for i, o in enumerate(layered.graph.output)}
    for pair in pairs:
        name = pair["onnx_name"]
        if name in index:
            continue  # already an output (the model's own, e.g. the logits)
        if name not in types:
            raise SystemExit(f"shape inference gave no type for {name}")
        layered.graph.output.append(types[name])
        index[name] = len(layered.graph.output) - 1
    onnx.checker.check_model(layered)
    return layered, index


def match_activations(pairs, captured):
    """For each ONNX pair, the index of its PyTorch activation; ('order' or
    'scale', [index])."""
    import numpy as np

    def key_of(mod, t):
        scale = float(np.float32(mod.scale.reshape(()).item()))
        return scale, int(mod.zero_point.reshape(()).item()), tuple(t.shape)

    torch_keys = [key_of(mod, t) for _, mod, t in captured]
    if len(torch_keys) != len(pairs):
        raise SystemExit(f"PyTorch called {len(torch_keys)} activation fake "
                         f"quantizations, the ONNX graph has {len(pairs)} "
                         f"activation QDQ pairs")
    onnx_keys = [(p["scale"], p["zero_point"], tuple(p["shape"]))
                 for p in pairs]
    if torch_keys == onnx_keys:
        return "order", list(range(len(pairs)))
    taken = [False] * len(torch_keys)
    mapping = []
    for k, key in enumerate(onnx_keys):
        for j, other in enumerate(torch_keys):
            if not taken[j] and other == key:
                taken[j] = True
                mapping.append(j)
                break
        else:
            raise SystemExit(f"ONNX activation {k} ({pairs[k]['onnx_name']}, "
                             f"scale {key[0]}, zero point {key[1]}) has no "
                             f"PyTorch fake quantization with that scale")
    return "scale", mapping


# ---------------------------------------------------------------------------
# One model directory.
# ---------------------------------------------------------------------------

def make_model_dir(name, batch, out_dir, log=print):
    torch, _, onnx, np = import_deps()
    os.makedirs(out_dir, exist_ok=True)
    stamp = os.path.join(out_dir, "stamp")
    if os.path.exists(stamp):
        os.remove(stamp)
    model = build_qat_model(name)
    x = make_input(batch)

    y, captured = run_with_hooks(model, x)
    spread, spread_acts = pytorch_spread(model, x)

    path = os.path.join(out_dir, "m.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, x, path, opset_version=OPSET)
    exported = onnx.load(path)
    info = OnnxGraphInfo(exported)
    pairs = info.activation_pairs()
    inferred = onnx.shape_inference.infer_shapes(exported)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in list(inferred.graph.value_info)
              + list(inferred.graph.output)}
    for p in pairs:
        p["shape"] = shapes[p["onnx_name"]]
    how, mapping = match_activations(pairs, captured)
    if how != "order":
        log(f"{name} b{batch}: PyTorch's call order and the ONNX node order "
            f"differ; matched by scale, zero point and shape")
    layered, out_index = layers_model(exported, pairs)
    onnx.save(layered, os.path.join(out_dir, "m_layers.onnx"))

    # The same order in both lists, checked value by value: the activation
    # PyTorch computed is on the pair's grid.
    for k, (pair, j) in enumerate(zip(pairs, mapping)):
        mod_name, mod, t = captured[j]
        act = t.numpy()
        pair["torch_module"] = mod_name
        pair["output_index"] = out_index[pair["onnx_name"]]
        off, on = spread_acts[j]
        ne, gt1, worst = step_stats(off, on, pair["scale"])
        pair["spread_mkldnn"] = {"differ": ne, "over_one_step": gt1,
                                 "max_steps": worst}
        q = act / pair["scale"] + pair["zero_point"]
        if np.abs(q - np.rint(q)).max() > 1e-3:
            raise SystemExit(f"act {k}: PyTorch's values are not on the grid "
                             f"of {pair['onnx_name']}")
        np.save(os.path.join(out_dir, f"act_{k:03d}.npy"), act)

    np.save(os.path.join(out_dir, "x.npy"), x.numpy())
    np.save(os.path.join(out_dir, "ref.npy"), y.numpy())
    out_name = exported.graph.output[0].name
    out_pair = next((p for p in pairs if p["onnx_name"] == out_name), None)
    meta = {
        "model": name,
        "batch": batch,
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "opset": OPSET,
        "seeds": {"model": MODEL_SEED, "calibration": CALIB_SEED,
                  "input": INPUT_SEED},
        "order": how,
        "output": {
            "name": out_name,
            "scale": out_pair["scale"] if out_pair else None,
            "zero_point": out_pair["zero_point"] if out_pair else None,
        },
        "pytorch_spread_mkldnn": spread,
        "activations": pairs,
    }
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    with open(stamp, "w") as f:
        f.write(script_hash() + "\n")
    log(f"{name} b{batch}: {len(pairs)} activations (matched by {how}), "
        f"PyTorch spread mkldnn off/on {spread:.3e}, "
        f"top-1 {y.argmax(1).tolist()} -> {out_dir}")
    return meta


def is_fresh(out_dir):
    try:
        with open(os.path.join(out_dir, "stamp")) as f:
            return f.read().strip() == script_hash()
    except OSError:
        return False


def ensure_model_dir(name, batch, root, force=False, log=print):
    """root/<name>_b<batch>, made unless it is already fresh."""
    out_dir = os.path.join(root, f"{name}_b{batch}")
    if force or not is_fresh(out_dir):
        make_model_dir(name, batch, out_dir, log)
    return out_dir


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", help="directory for <model>_b<batch>/")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--batches", default=",".join(map(str, BATCHES)))
    parser.add_argument("--force", action="store_true",
                        help="make the models even where the stamp is fresh")
    args = parser.parse_args()
    import_deps()
    for name in args.models.split(","):
        if name not in MODELS:
            parser.error(f"unknown model {name} (known: {', '.join(MODELS)})")
        for batch in map(int, args.batches.split(",")):
            if not 1 <= batch <= MAX_BATCH:
                parser.error(f"batch must be 1..{MAX_BATCH}")
            ensure_model_dir(name, batch, args.out, args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
