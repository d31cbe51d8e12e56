"""sandbox_call: results, exceptions, deadlines, crashes and memory, and a worker kept warm."""

import multiprocessing
import os
import signal
import threading
import time

import pytest

from incidents.ingestion import sandbox
from incidents.ingestion.sandbox import (
    SandboxCrashed,
    SandboxFailed,
    SandboxTimeout,
    sandbox_call,
)

# The functions below run in the worker: top-level, so that they pickle by name.


def worker_pid() -> int:
    return os.getpid()


def add(a: int, b: int) -> int:
    return a + b


def sleep_forever() -> None:
    while True:
        time.sleep(60)


def spin_forever() -> None:
    # Holds the GIL without a pause, as a backtracking regular expression does.
    while True:
        pass


def fail() -> None:
    raise ValueError("bad\ninput   on two lines")


def exit_quietly() -> None:
    raise SystemExit(3)


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def allocate(megabytes: int) -> int:
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)


def unpicklable_result() -> object:
    return threading.Lock()


@pytest.fixture(autouse=True)
def fresh_worker():
    """Each test starts without a worker and leaves none behind."""
    sandbox._worker_stop()
    yield
    sandbox._worker_stop()


def test_returns_the_result_from_another_process():
    assert sandbox_call(add, 2, 3, seconds=5) == 5
    assert sandbox_call(worker_pid, seconds=5) != os.getpid()


def test_reuses_one_warm_worker_across_calls():
    first = sandbox_call(worker_pid, seconds=5)

    assert [sandbox_call(worker_pid, seconds=5) for _ in range(20)] == [first] * 20


def test_a_call_past_its_deadline_raises_and_the_next_call_works():
    before = sandbox_call(worker_pid, seconds=5)

    with pytest.raises(SandboxTimeout, match=r"^took longer than 0\.5 s$"):
        sandbox_call(sleep_forever, seconds=0.5)

    after = sandbox_call(worker_pid, seconds=5)
    assert after != before  # the stuck worker was killed and another started
    assert sandbox_call(add, 1, 1, seconds=5) == 2


def test_a_call_that_holds_the_gil_is_stopped_too():
    with pytest.raises(SandboxTimeout):
        sandbox_call(spin_forever, seconds=0.5)

    assert sandbox_call(add, 1, 2, seconds=5) == 3


def test_an_exception_comes_back_as_one_line_and_keeps_the_worker():
    before = sandbox_call(worker_pid, seconds=5)

    with pytest.raises(SandboxFailed) as failure:
        sandbox_call(fail, seconds=5)

    assert str(failure.value) == "ValueError: bad input on two lines"
    assert sandbox_call(worker_pid, seconds=5) == before


def test_system_exit_in_the_function_is_a_failure_not_the_end_of_the_worker():
    before = sandbox_call(worker_pid, seconds=5)

    with pytest.raises(SandboxFailed, match=r"^SystemExit: 3$"):
        sandbox_call(exit_quietly, seconds=5)

    assert sandbox_call(worker_pid, seconds=5) == before


def test_a_worker_that_dies_raises_crashed_and_the_next_call_works():
    with pytest.raises(SandboxCrashed, match=r"killed by SIGKILL"):
        sandbox_call(die, seconds=5)

    assert sandbox_call(add, 2, 2, seconds=5) == 4


def test_a_worker_killed_between_calls_is_replaced():
    before = sandbox_call(worker_pid, seconds=5)
    os.kill(before, signal.SIGKILL)
    os.waitpid(before, 0)

    assert sandbox_call(worker_pid, seconds=5) not in (before, os.getpid())


def test_memory_past_the_limit_raises_crashed_and_the_next_call_works():
    with pytest.raises(SandboxCrashed, match=r"out of memory"):
        sandbox_call(allocate, 512, seconds=5, memory_mb=64)

    assert sandbox_call(allocate, 16, seconds=5, memory_mb=64) == 16 * 1024 * 1024
    # The limit was for that call only.
    assert sandbox_call(allocate, 256, seconds=5) == 256 * 1024 * 1024


def test_a_result_that_does_not_pickle_is_a_failure():
    with pytest.raises(SandboxFailed, match=r"^the result does not pickle: "):
        sandbox_call(unpicklable_result, seconds=5)

    assert sandbox_call(add, 3, 3, seconds=5) == 6


def test_a_function_that_does_not_pickle_is_refused_before_anything_runs():
    with pytest.raises(TypeError, match=r"top-level function"):
        sandbox_call(lambda: None, seconds=5)


class Interrupted(Exception):
    pass


def answer_later() -> str:
    time.sleep(1)
    return "late answer"


def test_a_call_interrupted_in_this_process_leaves_no_reply_for_the_next():
    def interrupt(signum, frame):
        raise Interrupted

    # As Celery's soft time limit does: an exception raised by a signal handler mid-call.
    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        with pytest.raises(Interrupted):
            sandbox_call(answer_later, seconds=30)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

    assert sandbox_call(add, 1, 1, seconds=5) == 2


def test_seconds_must_be_positive():
    with pytest.raises(ValueError, match=r"positive"):
        sandbox_call(add, 1, 1, seconds=0)


def test_threads_take_turns_and_each_gets_its_own_result():
    results: dict[int, int] = {}

    def call(number: int) -> None:
        results[number] = sandbox_call(add, number, 1000, seconds=30)

    threads = [threading.Thread(target=call, args=(number,)) for number in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == {number: number + 1000 for number in range(16)}


def _call_in_forked_process(queue) -> None:
    queue.put(sandbox_call(worker_pid, seconds=5))


def test_a_forked_process_starts_its_own_worker():
    parents_worker = sandbox_call(worker_pid, seconds=5)
    queue = multiprocessing.get_context("fork").SimpleQueue()
    process = multiprocessing.get_context("fork").Process(
        target=_call_in_forked_process, args=(queue,)
    )
    process.start()
    process.join(30)

    assert process.exitcode == 0
    assert queue.get() != parents_worker
    assert sandbox_call(worker_pid, seconds=5) == parents_worker
