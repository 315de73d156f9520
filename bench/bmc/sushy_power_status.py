"""The anchor side of bench/bmc/redfish-vs-sushy.ts: N power-state reads of one
System with the Python `sushy` library (OpenStack Ironic's Redfish client),
each timed on its own. Prints one JSON object: {"ms": [...]}.

Each read is System.refresh(force=True), one GET of the System resource,
then .power_state: the same work Anvil's getPower does."""
import json
import sys
import time

import sushy
from sushy import auth as sushy_auth


def main():
    base, system_path, count, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    root = sushy.Sushy(base + "/redfish/v1/", auth=sushy_auth.BasicAuth("bench", "bench"))
    system = root.get_system(system_path)
    for _ in range(warmup):
        system.refresh(force=True)
        _ = system.power_state
    out = []
    for _ in range(count):
        t0 = time.perf_counter_ns()
        system.refresh(force=True)
        state = system.power_state
        out.append((time.perf_counter_ns() - t0) / 1e6)
        if state is None:
            raise SystemExit(f"unexpected power state {state!r}")
    json.dump({"ms": out}, sys.stdout)


if __name__ == "__main__":
    main()
