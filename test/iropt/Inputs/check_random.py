"""Checks the random inputs iropt makes: check_random.py DIR.

DIR holds output0.npy .. output5.npy of random.qir's graph, which returns its
inputs (Float32, Float64, Int8, UInt8, Int32, Bool, 1000 elements each).
Floats must lie in [-4, 4), signed integers in [-8, 7], unsigned in [0, 15],
bools be 0 or 1, and each range be well covered. Standard library only.
"""
import os
import struct
import sys

# The .npy reader of the golden tests (standard library only as well).
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "golden"))
import compare_npy  # noqa: E402

FORMATS = {"<f4": "f", "<f8": "d", "|i1": "b", "|u1": "B", "<i4": "i",
           "|b1": "?"}
EXPECTED = [("<f4", -4.0, 4.0), ("<f8", -4.0, 4.0), ("|i1", -8, 7),
            ("|u1", 0, 15), ("<i4", -8, 7), ("|b1", 0, 1)]


def read_npy(path):
    header, body = compare_npy.read_npy(path)
    fmt = FORMATS[header["descr"]]
    count = len(body) // struct.calcsize(fmt)
    return header, list(struct.unpack("<%d%s" % (count, fmt), body))


def main():
    for i, (descr, lo, hi) in enumerate(EXPECTED):
        path = os.path.join(sys.argv[1], "output%d.npy" % i)
        header, values = read_npy(path)
        if header["descr"] != descr or header["shape"] != (1000,):
            sys.exit(f"{path}: {header}")
        values = [float(v) for v in values]
        if isinstance(lo, float):
            ok = all(lo <= v < hi for v in values)
            covered = min(values) < lo + 0.1 and max(values) > hi - 0.1
        else:
            ok = all(lo <= v <= hi for v in values)
            covered = set(values) == set(float(k) for k in range(lo, hi + 1))
        if not ok:
            sys.exit(f"{path}: values outside [{lo}, {hi}]")
        if not covered:
            sys.exit(f"{path}: values do not cover [{lo}, {hi}]")
    print("random inputs ok")


if __name__ == "__main__":
    main()
