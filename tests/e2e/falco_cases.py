#!/usr/bin/env python3
"""Falco 0.31.1's own rule regression cases, run against sysrec.

usage: falco_cases.py SYSREC TESTDATA [CASE_REGEX]

Reads TESTDATA/falco-0.31.1/tests/falco_tests.yaml and
falco_tests_exceptions.yaml. Each case becomes the sysrec command a Falco
user would type for the same job: `sysrec rules validate FILES` for
validate_rules_file, else `sysrec rules replay -r ... -e TRACE` with Falco's
flags (-D, -t, -T, -A, -o key=value). The expectations are checked as
Falco's harness checks them: exit_status, stdout_is, stdout_contains and
stderr_contains (regular expressions), rules_warning (the rules named by
"Rule NAME: warning (...)" on stderr, exactly), detect and detect_level (the "Events
detected" and "Rule counts by severity" summary), detect_counts (the
"Triggered rules by rule name" block), json_output (every JSON line has
time, rule, priority and output), output_strictly_contains (the lines of an
expected file appear, in order, in stdout or the output file).

rules_events is not compared: it lists the event types of Falco's older Lua
inference (an evt.type check after any `not` meant every type), which
Falco 0.31.1 no longer prints, so its own harness compares nothing there.
sysrec narrows by set algebra as 0.31.1 does; tests/unit/test_rules.c
asserts the types of each of those rules, and where they differ from the list.

A case whose trace file is not among TESTDATA/scap (Falco's trace_files/X.scap
is scap/falco_X.scap) or that needs Falco's gRPC server is skipped, with the
reason. Prints one line per case and a summary; exits 1 when any case fails.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml


class MuxLoader(yaml.SafeLoader):
    """Falco's test files tag the case table with avocado's !mux."""


MuxLoader.add_constructor("!mux", lambda loader, node: loader.construct_mapping(node, deep=True))

LEVELS = "(?i)^\\s*{}: (\\d+)$"


def as_list(v):
    if v is None or v == "" or v is False:
        return []
    return v if isinstance(v, list) else [v]


def map_trace(testdata, trace):
    m = re.fullmatch(r"trace_files/(.+)\.scap", trace or "")
    if not m:
        return None
    path = os.path.join(testdata, "scap", "falco_" + m.group(1) + ".scap")
    return path if os.path.exists(path) else None


def summary_block(text, title):
    """The indented lines under TITLE in Falco's summary, as (name, count) pairs."""
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        if line.strip() == title:
            for rest in lines[i + 1:]:
                if not rest.startswith("   "):
                    break
                name, _, count = rest.strip().rpartition(": ")
                out.append((name, int(count)))
            break
    return out


def subsequence(want, have):
    it = iter(have)
    return all(any(w == h for h in it) for w in want)


class Case:
    def __init__(self, name, spec, sysrec, testdata, tmp):
        self.name, self.spec, self.sysrec = name, spec, sysrec
        self.tests = os.path.join(testdata, "falco-0.31.1", "tests")
        self.testdata, self.tmp = testdata, tmp
        self.outputs = {}  # Falco's output file name -> where this run writes it

    def path(self, p):
        return p if os.path.isabs(p) else os.path.join(self.tests, p)

    def command(self):
        s = self.spec
        if "validate_rules_file" in s:
            return [self.sysrec, "rules", "validate"] + [self.path(f) for f in as_list(s["validate_rules_file"])]
        trace = map_trace(self.testdata, s.get("trace_file"))
        rules = as_list(s.get("rules_file")) or [os.path.join(self.tests, "..", "rules", "falco_rules.yaml")]
        cmd = [self.sysrec, "rules", "replay", "-v"]
        for f in rules:
            cmd += ["-r", self.path(f)]
        for d in as_list(s.get("disabled_rules")):
            cmd += ["-D", d]
        for t in as_list(s.get("disable_tags")):
            cmd += ["-T", t]
        for t in as_list(s.get("run_tags")):
            cmd += ["-t", t]
        if s.get("all_events"):
            cmd.append("-A")
        if "priority" in s:
            cmd += ["-o", "priority=" + str(s["priority"])]
        cmd += ["-o", "json_output=" + str(bool(s.get("json_output", False))).lower()]
        if "json_include_output_property" in s:
            cmd += ["-o", "json_include_output_property=" + str(bool(s["json_include_output_property"])).lower()]
        if "json_include_tags_property" in s:
            cmd += ["-o", "json_include_tags_property=" + str(bool(s["json_include_tags_property"])).lower()]
        if s.get("time_iso_8601"):
            cmd += ["-o", "time_format_iso_8601=true"]
        conf = os.path.basename(s.get("conf_file", ""))
        if conf == "file_output.yaml":
            out = os.path.join(self.tmp, "file_output.txt")
            self.outputs["/tmp/falco_outputs/file_output.txt"] = out
            cmd += ["--output-file", out]
        elif conf == "program_output.yaml":
            out = os.path.join(self.tmp, "program_output.txt")
            self.outputs["/tmp/falco_outputs/program_output.txt"] = out
            cmd += ["--output-program", "cat >> " + out]
        cmd += ["-e", trace]
        return cmd

    def skip_reason(self):
        s = self.spec
        if "validate_rules_file" not in s and not map_trace(self.testdata, s.get("trace_file")):
            return "trace file %s is not in %s/scap" % (s.get("trace_file"), self.testdata)
        if "grpc" in s:
            return "needs Falco's gRPC output server"
        conf = os.path.basename(s.get("conf_file", ""))
        if conf and conf not in ("stdout_output.yaml", "file_output.yaml", "program_output.yaml"):
            return "Falco configuration %s has no sysrec counterpart" % conf
        return None

    def run(self):
        """None when the case passes, else what differs."""
        s = self.spec
        cmd = self.command()
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        out, err = p.stdout, p.stderr
        for pat in as_list(s.get("stderr_contains")):
            if not re.search(pat, err):
                return "stderr lacks /%s/; stderr: %r" % (pat, err[-600:])
        for pat in as_list(s.get("stdout_contains")):
            if not re.search(pat, out):
                return "stdout lacks /%s/; stdout: %r" % (pat, out[-600:])
        if "stdout_is" in s and out != s["stdout_is"]:
            return "stdout is %r, not %r" % (out, s["stdout_is"])
        want_exit = s.get("exit_status", 0)
        if p.returncode != want_exit:
            return "exit status %d, not %d; stderr: %r" % (p.returncode, want_exit, err[-600:])
        if p.returncode != 0 or "validate_rules_file" in s:
            return None
        warned = set(m.group(1) for m in re.finditer(r"Rule ([^:]+): warning \(([^)]+)\):", err))
        want_warned = set(as_list(s.get("rules_warning")))
        if warned != want_warned:
            return "rules with warnings %s, not %s" % (sorted(warned), sorted(want_warned))
        both = out + "\n" + err
        m = re.search(r"Events detected: (\d+)", both)
        if not m:
            return "no 'Events detected' line"
        detected = int(m.group(1))
        if bool(s.get("detect", False)) != (detected > 0):
            return "%d events detected, detect is %s" % (detected, s.get("detect", False))
        if s.get("detect"):
            levels = dict((k.upper(), v) for k, v in summary_block(both, "Rule counts by severity:"))
            for level in as_list(s.get("detect_level")):
                if levels.get(level.upper(), 0) <= 0:
                    return "no alerts at level %s (%s)" % (level, levels)
        counts = dict(summary_block(both, "Triggered rules by rule name:"))
        for item in as_list(s.get("detect_counts")):
            for rule, n in item.items():
                if counts.get(rule, 0) != n:
                    return "rule %s: %d alerts, not %d" % (rule, counts.get(rule, 0), n)
        if s.get("json_output"):
            attrs = ["time", "rule", "priority"] + ([] if s.get("json_include_output_property") is False else ["output"])
            for line in out.splitlines():
                if line.startswith("{"):
                    obj = json.loads(line)
                    missing = [a for a in attrs if a not in obj]
                    if missing:
                        return "JSON alert lacks %s: %s" % (missing, line)
        for item in as_list(s.get("output_strictly_contains")):
            for target, expected in item.items():
                want = open(self.path(expected)).read().splitlines()
                if target == "stdout":
                    have = out.splitlines()
                else:
                    where = self.outputs.get(target, target)
                    have = open(where).read().splitlines() if os.path.exists(where) else []
                if not subsequence(want, have):
                    return "%s does not hold the lines of %s in order" % (target, expected)
        return None


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sysrec, testdata = sys.argv[1], sys.argv[2]
    only = re.compile(sys.argv[3]) if len(sys.argv) > 3 else None
    tests = os.path.join(testdata, "falco-0.31.1", "tests")
    passed, failed, skipped = [], [], []
    for table in ("falco_tests.yaml", "falco_tests_exceptions.yaml"):
        with open(os.path.join(tests, table)) as f:
            cases = yaml.load(f, MuxLoader)["trace_files"]
        for name, spec in cases.items():
            if only and not only.search(name):
                continue
            with tempfile.TemporaryDirectory() as tmp:
                case = Case(name, spec, sysrec, testdata, tmp)
                why = case.skip_reason()
                if why:
                    skipped.append(name)
                    print("SKIP %s: %s" % (name, why))
                    continue
                problem = case.run()
            if problem:
                failed.append(name)
                print("FAIL %s: %s" % (name, problem))
            else:
                passed.append(name)
                print("ok   %s" % name)
    print("%d passed, %d failed, %d skipped of %d cases" % (len(passed), len(failed), len(skipped),
                                                          len(passed) + len(failed) + len(skipped)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
