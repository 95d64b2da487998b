#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)

DOCUMENTATION = r"""
module: tailgate_plan
short_description: Preflight a tailgate plan on one host; changes nothing
description:
  - Runs C(tailgate plan --json PLAN) (parse, load and verify every stage in
    the kernel, check maps, interfaces and privileges, without touching a
    live slot) and C(tailgate status --json) (no rollout paused or
    interrupted on the host). Never changed; fails with tailgate's reason.
  - C(would_change) lists the interfaces that do not run the plan yet.
options:
  plan: {description: The plan file on the host., type: str, required: true}
  bin: {description: The tailgate binary., type: str, default: tailgate}
  pin_root: {description: TAILGATE_PIN_ROOT for tailgate (optional)., type: str}
  state_dir: {description: TAILGATE_STATE_DIR for tailgate (optional)., type: str}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.tailgate_cli import COMMON_ARGS, Tailgate, exit_name, last_problem


def main():
    spec = dict(COMMON_ARGS, plan=dict(type="str", required=True))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    tg = Tailgate(module)
    plan = module.params["plan"]
    rc, doc = tg.status()
    ro = doc.get("rollout")
    if rc == 4 or ro:
        module.fail_json(msg="a rollout%s is %s on this host: 'tailgate promote' or 'tailgate abort' "
                         "(paused), 'tailgate recover' (interrupted) there first"
                         % (" of %s" % ro.get("plan") if ro else "",
                            (ro or {}).get("status") or "interrupted"), rc=rc)
    rc, doc, err = tg.run(["plan", plan])
    if doc is None or rc != 0:
        module.fail_json(msg="preflight of %s failed: %s (exit %d: %s)"
                         % (plan, last_problem(doc, err) or "no JSON document", rc, exit_name(rc)),
                         rc=rc, tailgate_warnings=(doc or {}).get("warnings") or [])
    would = [i.get("ifname") for i in doc.get("interfaces") or [] if not i.get("unchanged")]
    module.exit_json(changed=False, rc=rc, plan=doc.get("plan"), would_change=would,
                     msg="%s: preflight ok; %s" % (doc.get("plan"), ("would move " + ", ".join(would))
                                                  if would else "already live everywhere it names"),
                     tailgate=doc)


if __name__ == "__main__":
    main()
