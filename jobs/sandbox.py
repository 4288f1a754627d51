"""Run work on hostile input in worker processes under hard limits: memory, CPU time, wall time.

A `Sandbox` keeps a few worker processes (forked from the caller, so they start in milliseconds
with everything the caller has loaded: readers, dictionaries) and reuses them from call to call.
Each worker limits its own address space (RLIMIT_AS: what it may add over its idle size) and,
per call, its CPU time (RLIMIT_CPU, raised by the amount allowed before each call); the caller
watches the wall clock and the worker's CPU time, and kills a worker that does not answer in
time (stuck in C code, where the worker's own CPU limit cannot stop it, or waiting). A worker that hits a limit is replaced; the call raises `LimitExceeded`, naming the limit
and the stage the work had reached (`set_stage`), and the next call goes on in a fresh worker.

Linux only (setrlimit, /proc); the workers never touch the caller's database connections or
files, and leave with os._exit so nothing of the caller's is closed or flushed twice.
"""
from __future__ import annotations

import faulthandler
import logging
import math
import multiprocessing as mp
import os
import pickle
import resource
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["SandboxLimits", "LimitExceeded", "Sandbox", "set_stage", "RunStats"]

log = logging.getLogger("govreports.sandbox")

_STAGE_BYTES = 32
# Set in a worker: where set_stage writes the current stage for the caller to read.
_stage_buffer: Any = None


@dataclass(frozen=True)
class SandboxLimits:
    memory_mb: int = 1024  # address space a call may add to an idle worker
    cpu_seconds: float = 60.0
    wall_seconds: float = 90.0


@dataclass(frozen=True)
class RunStats:
    """What the last call cost in its worker (for benchmarks and logs)."""

    seconds: float
    peak_rss_mb: float  # the worker's peak resident memory during the call


class LimitExceeded(Exception):
    """A call stopped at a limit: kind is "memory", "time" or "crash" (the worker died)."""

    def __init__(self, kind: str, detail: str, stage: str | None = None) -> None:
        super().__init__(f"{kind} limit: {detail}" if kind != "crash" else detail)
        self.kind = kind
        self.detail = detail
        self.stage = stage

    def __reduce__(self):  # pragma: no cover - only pickled by callers that forward it
        return (LimitExceeded, (self.kind, self.detail, self.stage))


class _CpuLimit(BaseException):
    """Raised in a worker on SIGXCPU; a BaseException so no `except Exception` swallows it."""


def set_stage(name: str) -> None:
    """Tell the caller which stage the work is in (no-op outside a worker): reported when the
    work is stopped at a limit."""
    if _stage_buffer is not None:
        _stage_buffer.value = name.encode("ascii", "replace")[:_STAGE_BYTES - 1]


class _Worker:
    def __init__(self, ctx: Any, limits: SandboxLimits, initializer: Callable[..., None] | None,
                 initargs: tuple) -> None:
        self.conn, child = ctx.Pipe()
        self.stage = ctx.Array("c", _STAGE_BYTES, lock=False)
        self.process = ctx.Process(target=_worker_main, name="govreports-sandbox", daemon=True,
                                   args=(child, limits, self.stage, initializer, initargs))
        # A Celery prefork child is itself a daemonic process, and multiprocessing refuses to let
        # one start children (they could outlive it). Ours cannot: each is a daemon too, killed by
        # its pool or terminated with this process at exit, so the check is lifted for the start.
        me = mp.current_process()
        daemonic = me._config.get("daemon")  # noqa: SLF001 - no public way to ask for this
        me._config["daemon"] = False  # noqa: SLF001
        try:
            self.process.start()
        finally:
            me._config["daemon"] = daemonic  # noqa: SLF001
        child.close()

    def current_stage(self) -> str | None:
        value = bytes(self.stage.value).decode("ascii", "replace")
        return value or None

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class Sandbox:
    """A pool of worker processes running calls under `limits`; use as a context manager."""

    def __init__(self, limits: SandboxLimits, *, workers: int = 1,
                 initializer: Callable[..., None] | None = None, initargs: tuple = ()) -> None:
        self.limits = limits
        self.size = max(1, workers)
        self.initializer = initializer
        self.initargs = initargs
        self.restarts = 0
        self.last: RunStats | None = None
        self._ctx = mp.get_context("fork")
        self._idle: list[_Worker] = []
        self._started = 0
        self._cond = threading.Condition()
        self._closed = False

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            workers, self._idle = self._idle, []
        for w in workers:
            try:
                w.conn.send(None)  # asks the worker to leave
            except OSError:
                pass
            w.process.join(2)
            w.kill()

    def _take(self) -> _Worker:
        with self._cond:
            while True:
                if self._closed:
                    raise RuntimeError("sandbox closed")
                if self._idle:
                    return self._idle.pop()
                if self._started < self.size:
                    self._started += 1
                    break
                self._cond.wait()
        try:
            return _Worker(self._ctx, self.limits, self.initializer, self.initargs)
        except BaseException:
            with self._cond:
                self._started -= 1
                self._cond.notify()
            raise

    def _give_back(self, worker: _Worker | None) -> None:
        with self._cond:
            if worker is None:
                self._started -= 1
            else:
                self._idle.append(worker)
            self._cond.notify()

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """fn(*args, **kwargs) in a worker: its result, or the exception it raised, or
        LimitExceeded. fn and its arguments travel by pickle (fn by module and name)."""
        worker: _Worker | None = self._take()
        assert worker is not None
        started = time.monotonic()
        cpu_at_start = _cpu_seconds(worker.process.pid)
        try:
            try:
                worker.conn.send((fn, args, kwargs))
            except (OSError, EOFError):
                self._discard(worker)
                worker = None
                raise LimitExceeded("crash", "the worker process was gone before the call") from None
            over = self._wait(worker, started, cpu_at_start)
            if over is not None:
                self.last = RunStats(time.monotonic() - started, math.nan)
                stage = worker.current_stage()
                self._discard(worker)
                worker = None
                if over == "cpu":
                    raise LimitExceeded("time", f"used more than {self.limits.cpu_seconds:g} s of "
                                        "CPU (limit [limits] cpu_seconds)", stage)
                raise LimitExceeded("time", f"no answer within {self.limits.wall_seconds:g} s "
                                    "of wall time (limit [limits] wall_seconds)", stage)
            try:
                kind, value, peak = worker.conn.recv()
            except (EOFError, OSError, pickle.UnpicklingError):
                self.last = RunStats(time.monotonic() - started, math.nan)
                stage = worker.current_stage()
                worker.process.join(2)
                code = worker.process.exitcode
                self._discard(worker)
                worker = None
                raise LimitExceeded("crash", _death(code, self.limits), stage) from None
            self.last = RunStats(time.monotonic() - started, peak)
            if kind == "ok":
                return value
            if kind == "error":
                raise value
            stage = worker.current_stage()
            self._discard(worker)  # it leaves after a limit: its state is not to be trusted
            worker = None
            if kind == "memory":
                raise LimitExceeded("memory", f"needed more than {self.limits.memory_mb} MB "
                                    "(limit [limits] memory_mb)", value or stage)
            raise LimitExceeded("time", f"used more than {self.limits.cpu_seconds:g} s of CPU "
                                "(limit [limits] cpu_seconds)", value or stage)
        finally:
            self._give_back(worker)

    def _wait(self, worker: _Worker, started: float, cpu_at_start: float) -> str | None:
        """Wait for the worker's answer: None once it is there, "wall" past the wall limit,
        "cpu" past the CPU limit. The worker stops itself at its CPU limit (SIGXCPU), but only
        between two steps of Python: a reader inside one long call of C code (a renderer
        inflating a picture) is watched from here, and killed a second past the limit."""
        deadline = started + self.limits.wall_seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return "wall"
            if worker.conn.poll(min(left, _WATCH_SECONDS)):
                return None
            used = _cpu_seconds(worker.process.pid) - cpu_at_start
            if used > self.limits.cpu_seconds + 1.0:
                return "cpu"

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        self.restarts += 1


_WATCH_SECONDS = 0.2
_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """CPU time (user and system, all threads) process *pid* has used; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def _death(code: int | None, limits: SandboxLimits) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if -code == signal.SIGKILL:  # the kernel's OOM killer, or someone else
            return f"the worker was killed ({name}), most likely out of memory"
        if -code == signal.SIGXCPU:
            return f"the worker was stopped past its CPU time ({limits.cpu_seconds:g} s)"
        return f"the worker crashed ({name}) reading it"
    return f"the worker ended unexpectedly (exit code {code})"


# ---------------------------------------------------------------- in the worker

def _vm_size() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _peak_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")  # resets VmHWM to the current RSS
    except OSError:
        pass


def _on_xcpu(signum: int, frame: object) -> None:
    raise _CpuLimit()


def _worker_main(conn: Any, limits: SandboxLimits, stage: Any,
                 initializer: Callable[..., None] | None, initargs: tuple) -> None:
    global _stage_buffer
    code = 0
    try:
        _stage_buffer = stage
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the caller's to handle
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGXCPU, _on_xcpu)
        faulthandler.disable()  # a reader crashing is reported by the caller, in one line
        logging.getLogger("pdfminer").setLevel(logging.ERROR)
        if initializer is not None:
            initializer(*initargs)
        cap = _vm_size() + limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        code = _serve(conn, limits, stage)
    except BaseException:  # noqa: BLE001 - a worker never lets anything out but its exit code
        code = 70
    finally:
        os._exit(code)


def _serve(conn: Any, limits: SandboxLimits, stage: Any) -> int:
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return 0
        if msg is None:
            return 0
        fn, args, kwargs = msg
        stage.value = b""
        _reset_peak()
        used = sum(os.times()[:2])
        soft = math.ceil(used + limits.cpu_seconds)
        resource.setrlimit(resource.RLIMIT_CPU, (soft if cpu_hard == resource.RLIM_INFINITY
                                                 else min(soft, cpu_hard), cpu_hard))
        try:
            try:
                reply: tuple = ("ok", fn(*args, **kwargs), 0.0)
            finally:
                resource.setrlimit(resource.RLIMIT_CPU, (cpu_hard, cpu_hard))
        except _CpuLimit:
            conn.send(("time", _stage_name(stage), _peak_rss_mb()))
            return 0
        except MemoryError:
            args = kwargs = None  # let go of the input before answering
            conn.send(("memory", _stage_name(stage), _peak_rss_mb()))
            return 0
        except Exception as exc:  # noqa: BLE001 - handed to the caller, who decides
            if _out_of_memory(exc):  # a MemoryError the work turned into its own error
                args = kwargs = None
                conn.send(("memory", _stage_name(stage), _peak_rss_mb()))
                return 0
            reply = ("error", _picklable(exc), 0.0)
        reply = (reply[0], reply[1], _peak_rss_mb())
        try:
            conn.send(reply)
        except MemoryError:
            conn.send(("memory", _stage_name(stage), _peak_rss_mb()))
            return 0
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            conn.send(("error", RuntimeError(f"result cannot be sent back: {exc}"), 0.0))


def _out_of_memory(exc: BaseException) -> bool:
    """Whether *exc* is, or was raised while handling, a MemoryError (`raise ... from None`
    hides the cause from tracebacks, not from __context__)."""
    seen = 0
    cur: BaseException | None = exc
    while cur is not None and seen < 20:
        if isinstance(cur, MemoryError):
            return True
        cur = cur.__cause__ or cur.__context__
        seen += 1
    return False


def _stage_name(stage: Any) -> str | None:
    value = bytes(stage.value).decode("ascii", "replace")
    return value or None


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - any failure to round-trip
        return RuntimeError(f"{type(exc).__name__}: {exc}")
