"""Compares two .npy files bit for bit (dtype, shape and every byte of data).

Usage: compare_npy.py ACTUAL EXPECTED. Standard library only, so the lit
suite does not need NumPy. On a mismatch, names the first differing element.
"""
import ast
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
    actual_path, expected_path = sys.argv[1], sys.argv[2]
    (ah, ad), (eh, ed) = read_npy(actual_path), read_npy(expected_path)
    for key in ("descr", "shape", "fortran_order"):
        if ah[key] != eh[key]:
            sys.exit(f"{key} differs: {ah[key]!r} (actual) vs {eh[key]!r} (expected)")
    if ad == ed:
        return
    fmt = FORMATS[ah["descr"]]
    size = struct.calcsize(fmt)
    count = min(len(ad), len(ed)) // size
    for i in range(count):
        a = ad[i * size:(i + 1) * size]
        e = ed[i * size:(i + 1) * size]
        if a != e:
            sys.exit(f"element {i} differs: {struct.unpack(fmt, a)[0]!r} (actual, "
                     f"{a.hex()}) vs {struct.unpack(fmt, e)[0]!r} (expected, {e.hex()})")
    sys.exit(f"data sizes differ: {len(ad)} vs {len(ed)} bytes")


if __name__ == "__main__":
    main()
