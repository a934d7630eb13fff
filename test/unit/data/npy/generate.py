#!/usr/bin/env python3
"""Writes the reference .npy files NpyTest.cpp reads (run once, committed).

The files are what numpy.save writes (NumPy 1.24); the test checks that
qjit reads them and that its writer produces the same bytes. The values are
repeated literally in NpyTest.cpp.
"""
import os
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))


def save(name, array, version=None):
    path = os.path.join(here, name)
    if version is None:
        np.save(path, array)
    else:
        with open(path, "wb") as f:
            np.lib.format.write_array(f, array, version=version)


save("f4_3.npy", np.array([1.5, -2.0, 0.1], dtype="<f4"))
save("f8_2x3.npy", np.arange(6, dtype="<f8").reshape(2, 3) / 4)
save("i1_scalar.npy", np.array(-7, dtype="i1"))
save("u1_0.npy", np.zeros((0,), dtype="u1"))
save("i2_2x0x3.npy", np.zeros((2, 0, 3), dtype="<i2"))
save("i4_4.npy", np.array([1, -2, 2**31 - 1, -2**31], dtype="<i4"))
save("i8_2x2.npy", np.array([[1, -1], [2**62, -2**63]], dtype="<i8"))
save("b1_5.npy", np.array([True, False, True, True, False]))
save("f4_v2.npy", np.array([1.0, 2.0], dtype="<f4"), version=(2, 0))
save("f4_v3.npy", np.array([3.0], dtype="<f4"), version=(3, 0))
save("f4_fortran.npy",
     np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)))
save("f4_bigendian.npy", np.array([1.0, 2.0], dtype=">f4"))
