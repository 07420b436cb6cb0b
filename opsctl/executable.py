"""Is this process the `opsctl` executable? Set by `opsctl.cli.entry`, never by a Python caller.

Some things only the executable may do to its own process: end it without the interpreter's
teardown (cli/leave.py), send from forked children (delivery/forked.py). Inside someone else's
program (the Python API, tests) neither happens.
"""

RUNNING = False
