# Runs a program on a new pseudo-terminal and types lines into it, as a user at a terminal would.
# Usage: python3 pty_session.py <file with one line per command> <program> [args...]
# Prints "PID <pid>" of the program, its output, then "EXIT <status>".
import os
import pty
import select
import sys
import time

lines = open(sys.argv[1]).read().splitlines()
pid, fd = pty.fork()
if pid == 0:
    os.environ["PS1"] = "$ "
    os.environ["TERM"] = "dumb"
    os.execvp(sys.argv[2], sys.argv[2:])
print("PID %d" % pid, flush=True)

def drain(seconds):
    end = time.time() + seconds
    while time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return False
            if not data:
                return False
            sys.stdout.write(data.decode("utf-8", "replace"))
    return True

drain(1.0)
for line in lines:
    os.write(fd, (line + "\n").encode())
    drain(0.7)
os.write(fd, b"exit\n")
deadline = time.time() + 30
status = None
while time.time() < deadline:
    drain(0.2)
    done, code = os.waitpid(pid, os.WNOHANG)
    if done:
        status = code
        break
print("\nEXIT %s" % status, flush=True)
