"""qjit from Python: build a graph, compile it, run it on NumPy arrays, take
its gradient graph, and fake-quantize a PyTorch tensor with autograd.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/fake_quant.py
"""
import numpy as np

import qjit

# y = FakeQuant(ReLU(x + bias)): 8-bit symmetric, scale 0.05.
b = qjit.Builder("relu_fq")
x = b.input(np.float32, [2, 5])
bias = b.input(np.float32, [5])
y = b.FakeQuantization(b.ReLU(b.Add(x, bias)), num_bits=8, scale=0.05)
graph = b.build(y)
print(graph)

jit = qjit.Jit()  # one session, host CPU, -O2
relu_fq = jit.compile(graph)
xs = np.array([[-1.0, 0.12, 0.125, 0.175, 3.0],
               [2.5, -0.3, 7.0, 0.024, 0.026]], np.float32)
print(relu_fq(xs, np.zeros(5, np.float32)))

# The backward graph: f's inputs and dy in, the inputs' gradients out.
qjit.passes.run(graph.module, "autodiff,cse,dce")
relu_fq_grad = jit.compile(graph.module["relu_fq_grad"])
dx, dbias = relu_fq_grad(xs, np.zeros(5, np.float32), np.ones((2, 5), np.float32))
print("dx =", dx.tolist())

try:
    relu_fq(xs)  # one input short
except qjit.Error as e:
    print("qjit.Error:", e)

try:
    import torch
except ImportError:
    torch = None
if torch is not None:
    import qjit.torch

    t = torch.linspace(-2, 2, 9, requires_grad=True)
    q = qjit.torch.fake_quantize_per_tensor_affine(t, 0.25, 0, -4, 3)
    q.sum().backward()
    print("fake-quantized:", q.tolist())
    print("gradient (clipped):", t.grad.tolist())
