"""Compares two .npy files: dtype, shape and data.

Usage: compare_npy.py [--rtol=R] ACTUAL EXPECTED. Without --rtol every byte
must be equal (bit for bit). With it, floats may differ by
R * (|expected| + max |expected|) (a relative bound with an absolute floor
that scales with the data), NaN must meet NaN and infinities must be equal.
Standard library only, so the lit suite does not need NumPy. On a mismatch,
names the first differing element.
"""
import ast
import math
import struct
import sys


def read_npy(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        sys.exit(f"{path}: not a .npy file")
    major = data[6]
    if major == 1:
        (hlen,) = struct.unpack("<H", data[8:10])
        start = 10
    else:
        (hlen,) = struct.unpack("<I", data[8:12])
        start = 12
    header = ast.literal_eval(data[start:start + hlen].decode("latin1"))
    return header, data[start + hlen:]


FORMATS = {"<f4": "<f", "<f8": "<d", "|i1": "<b", "|u1": "<B", "<i2": "<h",
           "<i4": "<i", "<i8": "<q", "|b1": "<?"}


def main():
    args = sys.argv[1:]
    rtol = None
    if args and args[0].startswith("--rtol="):
        rtol = float(args.pop(0).split("=", 1)[1])
    actual_path, expected_path = args
    (ah, ad), (eh, ed) = read_npy(actual_path), read_npy(expected_path)
    for key in ("descr", "shape", "fortran_order"):
        if ah[key] != eh[key]:
            sys.exit(f"{key} differs: {ah[key]!r} (actual) vs {eh[key]!r} (expected)")
    if ad == ed:
        return
    fmt = FORMATS[ah["descr"]]
    size = struct.calcsize(fmt)
    count = min(len(ad), len(ed)) // size
    if rtol is not None and len(ad) == len(ed) and fmt in ("<f", "<d"):
        a_vals = [v[0] for v in struct.iter_unpack(fmt, ad)]
        e_vals = [v[0] for v in struct.iter_unpack(fmt, ed)]
        finite = [abs(v) for v in e_vals if math.isfinite(v)]
        floor = max(finite, default=0.0)
        for i, (a, e) in enumerate(zip(a_vals, e_vals)):
            if math.isnan(e) or math.isinf(e):
                ok = (math.isnan(a) and math.isnan(e)) or a == e
            else:
                ok = abs(a - e) <= rtol * (abs(e) + floor)
            if not ok:
                sys.exit(f"element {i} differs beyond rtol={rtol}: {a!r} (actual) vs {e!r} (expected)")
        return
    for i in range(count):
        a = ad[i * size:(i + 1) * size]
        e = ed[i * size:(i + 1) * size]
        if a != e:
            sys.exit(f"element {i} differs: {struct.unpack(fmt, a)[0]!r} (actual, "
                     f"{a.hex()}) vs {struct.unpack(fmt, e)[0]!r} (expected, {e.hex()})")
    sys.exit(f"data sizes differ: {len(ad)} vs {len(ed)} bytes")


if __name__ == "__main__":
    main()
