"""Runs a command with its address space held to 4,000,000 KiB and its time
to 5 seconds (the hardening contract for any input), and exits with the
command's status, or 124 with a message if it ran out of time.

usage: bounded.py COMMAND [ARG...]
"""
import resource
import subprocess
import sys

LIMIT_BYTES = 4000000 * 1024
SECONDS = 5


def limit():
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))


try:
    sys.exit(subprocess.run(sys.argv[1:], preexec_fn=limit,
                            timeout=SECONDS).returncode)
except subprocess.TimeoutExpired:
    print(f"bounded.py: {sys.argv[1]} ran longer than {SECONDS} s",
          file=sys.stderr)
    sys.exit(124)
