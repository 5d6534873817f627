"""What the recorder costs, counted rather than timed.

Bytecode instructions run per task are counted with ``sys.monitoring``
(Python 3.12+), so these tests give the same answer on a busy machine; the
times and ratios themselves are measured by ``benchmarks/recorder_overhead.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import recorder_overhead  # noqa: E402

pytestmark = pytest.mark.skipif(sys.version_info < (3, 12), reason="sys.monitoring is 3.12+")


def test_the_recorder_costs_the_same_per_task_at_300_and_3000_tasks():
    small = recorder_overhead.count_bytecodes("gather", 300)
    large = recorder_overhead.count_bytecodes("gather", 3_000)
    for plain, measured_program, ours in (small, large):
        # measuring does not change what the program itself runs (within the few
        # instructions asyncio spends on the measure() call's own step)
        assert abs(measured_program - plain) / plain < 0.02, (plain, measured_program)
    # linear: no instruction count per task grows with the number of tasks
    assert large[2] <= small[2] * 1.1, f"recorder: {small[2]:.0f} per task at 300 tasks, {large[2]:.0f} at 3,000"
    # and far from the tens of thousands a label rebuilt per coroutine cost
    assert large[2] < 0.75 * large[0], f"recorder {large[2]:.0f} against the program's {large[0]:.0f} per task"


def test_the_recorder_costs_the_same_per_step_at_3000_and_30000_steps():
    small = recorder_overhead.count_bytecodes("sleep0", 3_000)
    large = recorder_overhead.count_bytecodes("sleep0", 30_000)
    assert large[2] <= small[2] * 1.1, f"recorder: {small[2]:.0f} per step at 3,000 steps, {large[2]:.0f} at 30,000"
    assert large[2] < 0.75 * large[0], f"recorder {large[2]:.0f} against the program's {large[0]:.0f} per step"
