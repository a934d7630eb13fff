"""Damages the only entry of a qjit disk cache directory (compile-cache.qir).

flip: one byte of the payload changes; truncate: the file keeps its 56-byte
header and 44 bytes of the payload.
"""
import glob
import sys

directory, how = sys.argv[1], sys.argv[2]
(path,) = glob.glob(directory + "/*.qjitobj")
with open(path, "rb") as f:
    data = bytearray(f.read())
if how == "flip":
    data[-1] ^= 1
elif how == "truncate":
    del data[100:]
else:
    sys.exit("unknown damage " + how)
with open(path, "wb") as f:
    f.write(data)
