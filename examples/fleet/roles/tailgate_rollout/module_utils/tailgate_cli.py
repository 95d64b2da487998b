# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Run tailgate on the managed host and read its one JSON document.

Shared by the role's modules (tailgate_plan, tailgate_apply,
tailgate_rollback). tailgate prints exactly one JSON document with --json on
every path, errors included; its exit codes are the contract:
0 done or unchanged, 1 usage or plan error, 2 preflight failed, 3 rolled back
by its gates (or paused), 4 inconsistent (run recover), 5 busy.
"""

import json
import time

EXIT_NAMES = {
    0: "ok",
    1: "usage or plan error (nothing changed)",
    2: "preflight failed (nothing changed)",
    3: "rolled back by its gates (or paused)",
    4: "inconsistent state: run 'tailgate recover' on this host",
    5: "busy: another tailgate holds the lock on this host (nothing changed)",
}
EXIT_BUSY = 5

COMMON_ARGS = dict(
    bin=dict(type="str", default="tailgate"),
    pin_root=dict(type="str", default=None),
    state_dir=dict(type="str", default=None),
)


class Tailgate(object):
    """The tailgate binary of one host, with that host's pin root and state dir."""

    def __init__(self, module):
        self.module = module
        p = module.params
        binary = p["bin"]
        if "/" not in binary:
            binary = module.get_bin_path(binary, required=True)
        self.binary = binary
        self.env = {}
        # The per-host overrides go to tailgate as its environment.
        if p.get("pin_root"):
            self.env["TAILGATE_PIN_ROOT"] = p["pin_root"]
        if p.get("state_dir"):
            self.env["TAILGATE_STATE_DIR"] = p["state_dir"]

    def run(self, args, busy_retries=0, busy_delay=1.0):
        """Run `tailgate --json ARGS`; return (rc, document or None, stderr)."""
        cmd = [self.binary, "--json"] + list(args)
        for attempt in range(busy_retries + 1):
            rc, out, err = self.module.run_command(cmd, environ_update=self.env)
            if rc != EXIT_BUSY or attempt == busy_retries:
                break
            time.sleep(busy_delay)
        return rc, parse(out), err

    def status(self, plan=None):
        rc, doc, err = self.run(["status"] + ([plan] if plan else []))
        if doc is None:
            self.module.fail_json(msg="tailgate status printed no JSON document (exit %d): %s"
                                  % (rc, err.strip()), rc=rc, stderr=err)
        return rc, doc


def parse(out):
    """The document tailgate printed, or None."""
    out = out.strip()
    if not out:
        return None
    try:
        doc = json.loads(out)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def last_problem(doc, stderr=""):
    """What tailgate said went wrong: its last error, else its last warning."""
    for key in ("errors", "warnings"):
        msgs = (doc or {}).get(key) or []
        if msgs:
            return msgs[-1]
    lines = [l for l in stderr.strip().splitlines() if l.strip()]
    return lines[-1] if lines else ""


def exit_name(rc):
    return EXIT_NAMES.get(rc, "exit %d" % rc)
