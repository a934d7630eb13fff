"""qjit from Python: graphs, passes and the JIT on NumPy arrays.

    import numpy as np, qjit
    b = qjit.Builder("relu_fq")
    x = b.input(np.float32, [2, 5])
    y = b.FakeQuantization(b.ReLU(x), scale=0.05)
    f = qjit.Jit().compile(b.build(y))
    print(f(np.linspace(-1, 1, 10, dtype=np.float32).reshape(2, 5)))

qjit.torch (imported on its own, needs torch) holds fake quantization for
PyTorch. docs/python.md describes everything.
"""
from ._qjit import (Builder, Error, Function, Graph, Jit, Module, Remark,
                    Value, parse, passes, release_memory)

__all__ = ["Builder", "Error", "Function", "Graph", "Jit", "Module", "Remark",
           "Value", "parse", "passes", "release_memory"]
