#!/usr/bin/env python3
"""The enabled rules of a ruleset as one sysdig filter.

usage: rules_filter.py LISTING SYSDIG TINY_CAPTURE OUT_SCRIPT LEFT_OUT

LISTING is `sysrec rules list --json RULES`. Each enabled rule's expanded
condition is tried with sysdig on TINY_CAPTURE; those sysdig parses are
joined with `or` into OUT_SCRIPT, a shell script that runs
`sysdig -r "$1" -p %evt.num -- FILTER` (a script, since the filter is longer
than one argument may be). The names of the rules sysdig refuses go to
LEFT_OUT, one per line, so that sysrec can leave them out too (-D).
Used by bench/rules.sh and the e2e check rules_match_sysdig.
"""
import json
import shlex
import subprocess
import sys

listing, sysdig, tiny, script, left_out = sys.argv[1:]
rules = [r for r in json.load(open(listing)) if r["enabled"]]
kept, left = [], []
for r in rules:
    p = subprocess.run([sysdig, "-r", tiny, "-p", "%evt.num", "--", r["condition"]], capture_output=True, text=True)
    (kept if p.returncode == 0 else left).append(r)
flt = " or ".join("(%s)" % r["condition"] for r in kept)
with open(script, "w") as f:
    f.write('exec %s -r "$1" -p %%evt.num -- %s\n' % (shlex.quote(sysdig), " ".join(shlex.quote(w) for w in flt.split(" "))))
with open(left_out, "w") as f:
    for r in left:
        f.write(r["rule"] + "\n")
print("%d enabled rules, %d left out (sysdig's parser refuses them): %s" %
      (len(rules), len(left), "; ".join(r["rule"] for r in left)))
