#!/usr/bin/python3
"""Runs Debian's age on a pseudo-terminal, answering its passphrase prompts.

age 1.1.1 reads a passphrase only from a terminal (/dev/tty), never from a pipe. Usage:
    age_pty.py PASSPHRASE PROGRAM ARGS...
Every prompt that asks for a passphrase (age's "Enter passphrase", "Confirm passphrase",
px-accounts's "Passphrase: ") is answered with PASSPHRASE. Exits with the program's status;
what it printed on the terminal goes to stderr.
"""
import os
import pty
import sys

passphrase = sys.argv[1].encode()
argv = sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
seen = b""
answered = 0
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:  # EIO: the child closed the terminal
        break
    if not data:
        break
    seen += data
    # One answer per prompt; a prompt is complete once its colon has arrived.
    prompts = seen.lower().count(b"passphrase") if seen.rstrip().endswith(b":") else answered
    while answered < prompts:
        os.write(fd, passphrase + b"\r")
        answered += 1
_, status = os.waitpid(pid, 0)
sys.stderr.write(seen.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(status))
