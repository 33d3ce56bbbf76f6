"""Runs started from a preloaded process: the sweep's ``preload = True`` option (local launcher only).

Each run of a sweep is its own process (a crash, a timeout or Ctrl-C stays with that run), and a fresh
Python process spends about 7 CPU-seconds importing torch and the four OpenMMLab toolboxes before it does
any work: nothing for a real benchmark run, a third of a 20-second demo run. With ``preload = True`` the
local executor starts runs with :mod:`multiprocessing`'s *forkserver*: one server process imports the stack
once (this module is its preload), and every run is a fresh ``fork`` of that pristine server, so runs still
share no state with each other, only the imported modules (copy-on-write).

The run process behaves like ``python -m mobilebench.benchmark.run_one ...``: same arguments, its output
appended to the run's log, the run's environment, its thread count, killed with the sweep (its parent, the
server, exits with the sweep and ``PR_SET_PDEATHSIG`` takes the run down with it), and a Ctrl-C ends it by
SIGINT, which the sweep reads as "interrupted", not "failed". Unlike a subprocess its command line in
``ps`` is the server's.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import traceback
from typing import Dict, List, Optional

# what the server imports once (the imports of run_one.main and of the toolboxes' registries)
import mobilebench.compat  # noqa: F401,E402
import backbones  # noqa: F401,E402
import mobilebench.benchmark.run_one  # noqa: F401,E402

_lock = threading.Lock()
_context = None


def context():
    """The sweep's forkserver context; the server starts (and imports this module) on the first run."""
    global _context
    with _lock:
        if _context is None:
            ctx = multiprocessing.get_context('forkserver')
            ctx.set_forkserver_preload([__name__])
            _context = ctx
        return _context


def _child(argv: List[str], env: Dict[str, str], log_path: str, cwd: str, threads: Optional[int]):
    """The run process (a fork of the server): the equivalent of ``python -m ...run_one ARGV``."""
    try:
        _run(argv, env, log_path, cwd, threads)
    except KeyboardInterrupt:  # end by SIGINT, as an interrupted subprocess does (exit code -2), and with
        traceback.print_exc()  # its traceback in the run's log
        sys.stdout.flush()
        sys.stderr.flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)


def _run(argv, env, log_path, cwd, threads):
    from mobilebench.benchmark.launch import _die_with_parent
    _die_with_parent()  # the server exits with the sweep; the run follows it
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    if threads:  # OMP_NUM_THREADS was read when the server imported torch: set the count itself
        import torch
        torch.set_num_threads(int(threads))
    from mobilebench.benchmark import run_one
    run_one.main(argv)


class PreloadedRun:
    """A run process with the part of :class:`subprocess.Popen`'s interface the launcher uses."""

    def __init__(self, argv: List[str], env: Dict[str, str], log_path: str, threads: Optional[int] = None):
        self.process = context().Process(target=_child, args=(list(argv), dict(env), log_path, os.getcwd(),
                                                              threads), daemon=False)
        self.process.start()
        self.pid = self.process.pid

    def wait(self, timeout: Optional[float] = None) -> int:
        self.process.join(timeout)
        if self.process.exitcode is None:
            raise subprocess.TimeoutExpired('run_one', timeout)
        return self.process.exitcode

    def poll(self) -> Optional[int]:
        return self.process.exitcode

    def kill(self):
        if self.process.exitcode is None:
            self.process.kill()
