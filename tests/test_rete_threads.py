"""The compiled rule network runs every action on the caller's thread, so parallel callers never mix results.

durable_rules' own `Host` polls for queued actions on two timer threads of its own; an action picked up there runs
outside the network's lock, between another profile's steps. Under load that showed as a rare HTTP 500 (the
reference decision and the explanation disagreeing). These tests pin the cause away.
"""

from __future__ import annotations

import subprocess
import sys
import threading

from guangxi_subsidy.engine.applicant.reading import parse_profile
from guangxi_subsidy.engine.evaluation.evaluate import Engine, profile_values

BASE = {"id": "NN-BASE-001", "kind": "incubation_base", "city": "南宁", "as_of": "2017-03-01",
        "recognised_incubation_base": True, "rent_and_broadband_paid": 900000, "rent_subsidy_years_received": 0}
FIRM = {"id": "WZ-ENT-001", "kind": "enterprise", "city": "梧州", "as_of": "2021-10-01", "above_designated_size": True,
        "rd_expenses": 8000000, "rd_intensity_grew": True, "high_tech_enterprise": True, "in_high_tech_zone": True}


# Checked in a process of its own: in the suite's process another test's server or job may start a thread of its
# own during the compile, which would be counted here.
COMPILE_AND_LIST_THREADS = """
import threading
from guangxi_subsidy.engine.evaluation.rete import ReteNetwork
from guangxi_subsidy.engine.rules.pack import load_pack
pack = load_pack()
before = {t.ident for t in threading.enumerate()}
ReteNetwork(pack)
print([t.name for t in threading.enumerate() if t.ident not in before])
"""


def test_compiling_the_pack_starts_no_background_thread() -> None:
    done = subprocess.run([sys.executable, "-c", COMPILE_AND_LIST_THREADS], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_parallel_evaluations_under_rapid_thread_switching_each_get_their_own_rules(engine: Engine) -> None:
    profiles = [parse_profile(BASE, "base"), parse_profile(FIRM, "firm")]
    alone = [engine.network.fired(profile_values(p)) for p in profiles]
    assert alone[0] != alone[1]  # the two profiles fire different rules, so a mix-up would show
    problems: list[str] = []

    def work(offset: int) -> None:
        for i in range(150):
            which = (i + offset) % 2
            try:
                engine.evaluate(profiles[which])  # raises if durable_rules and the explanation disagree
                got = engine.network.fired(profile_values(profiles[which]))
            except Exception as error:  # noqa: BLE001 - every failure is the finding
                problems.append(repr(error))
                continue
            if got != alone[which]:
                problems.append(f"profile {which}: {sorted(got ^ alone[which])}")

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        sys.setswitchinterval(interval)
    assert problems == []

