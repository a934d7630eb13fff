"""Checks one run_bundle program (examples/bundle/CMakeLists.txt).

The program must not load or contain LLVM; its outputs, on one thread and on
all cores, must equal `iropt --run` (the JIT, with the same compile options)
on the same inputs bit for bit: same dtype, shape and bytes.
"""
import argparse
import ast
import os
import shutil
import struct
import subprocess
import sys


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n"
                 f"{result.stdout}{result.stderr}")
    return result.stdout


def npy_files(directory, prefix):
    names = sorted(n for n in os.listdir(directory)
                   if n.startswith(prefix) and n.endswith(".npy"))
    return [os.path.join(directory, prefix + f"{i}.npy")
            for i in range(len(names))]


def load_npy(path):
    """(descr, shape, data bytes) of a version 1 or 2 .npy file."""
    with open(path, "rb") as f:
        content = f.read()
    if content[:6] != b"\x93NUMPY":
        sys.exit(f"{path} is not a .npy file")
    if content[6] == 1:
        length, start = struct.unpack("<H", content[8:10])[0], 10
    else:
        length, start = struct.unpack("<I", content[8:12])[0], 12
    header = ast.literal_eval(content[start:start + length].decode("latin1"))
    if header["fortran_order"]:
        sys.exit(f"{path} is in Fortran order")
    return header["descr"], tuple(header["shape"]), content[start + length:]


def compare(what, got_path, want_path):
    got, want = load_npy(got_path), load_npy(want_path)
    if got[:2] != want[:2]:
        sys.exit(f"{what}: {got[0]} {got[1]}, the JIT's is {want[0]} {want[1]}")
    if got[2] != want[2]:
        size = int(want[0][2:])
        formats = {"<f4": "<f", "<f8": "<d", "|i1": "b", "|u1": "B",
                   "<i2": "<h", "<i4": "<i", "<i8": "<q", "|b1": "?"}
        first = next(i for i in range(0, len(want[2]), size)
                     if got[2][i:i + size] != want[2][i:i + size])
        value = lambda data: struct.unpack(formats[want[0]],
                                           data[first:first + size])[0]
        sys.exit(f"{what} differs from the JIT's; first at flat index "
                 f"{first // size}: {value(got[2])!r} vs {value(want[2])!r}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--program", required=True)
    parser.add_argument("--iropt", required=True)
    parser.add_argument("--qir", required=True)
    parser.add_argument("--graph", required=True)
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("compile_flags", nargs="*")
    args = parser.parse_args()

    libraries = run(["ldd", args.program])
    if "LLVM" in libraries:
        sys.exit(f"{args.program} loads LLVM:\n{libraries}")
    symbols = run(["nm", args.program])
    if "_ZN4llvm" in symbols:
        sys.exit(f"{args.program} contains LLVM's code")

    shutil.rmtree(args.work_dir, ignore_errors=True)
    bundle_dir = os.path.join(args.work_dir, "bundle")
    serial_dir = os.path.join(args.work_dir, "bundle-1-thread")
    jit_dir = os.path.join(args.work_dir, "jit")
    for d in (bundle_dir, serial_dir):
        os.makedirs(d)
    run([args.program, bundle_dir])
    run([args.program, serial_dir, "1"])
    inputs = npy_files(bundle_dir, "input")
    run([args.iropt, args.qir, "--graph=" + args.graph, "--run",
         "--output-dir=" + jit_dir, *args.compile_flags] +
        ["--input=" + path for path in inputs])

    outputs = npy_files(jit_dir, "output")
    if len(npy_files(bundle_dir, "output")) != len(outputs) or not outputs:
        sys.exit(f"the bundle wrote {len(npy_files(bundle_dir, 'output'))} "
                 f"output(s), the JIT {len(outputs)}")
    for j, want in enumerate(outputs):
        for d in (bundle_dir, serial_dir):
            compare(f"output {j} of @{args.graph} in {d}",
                    os.path.join(d, f"output{j}.npy"), want)
    print(f"@{args.graph}: {len(inputs)} input(s), {len(outputs)} output(s) "
          f"equal to the JIT's bit for bit")


if __name__ == "__main__":
    main()
