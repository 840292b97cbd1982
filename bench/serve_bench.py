# SPDX-License-Identifier: MIT
"""Round trips through `codeinterp serve` with the real clients (issue 13).

Starts `codeinterp serve` on 127.0.0.1 with a fresh key file, then measures:
  - boto3: invoke_code_interpreter(executeCode print(1)) on a live session,
    iterating its event stream (median, p90, p99);
  - sessions started per second: start + stop in a loop, one client;
  - the AgentCore SDK (CodeInterpreter, BEDROCK_AGENTCORE_DP_ENDPOINT):
    execute_code print(1) on its session;
  - beside it, the C API's ci_execute("print(1)") on a warm session
    (bench/roundtrip), the same code without HTTP.
Prints one line per figure; nothing is asserted. Run with the test venv's
Python (boto3, bedrock-agentcore):

  /opt/codeinterp/test/venv/bin/python bench/serve_bench.py \
      --codeinterp build/tools/codeinterp --roundtrip build/bench/roundtrip [--runs 200]

with the CODEINTERP_* variables pointing at the build tree, as meson's
`bench` target sets them.
"""
import argparse
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time

KEY_ID = "AKIABENCH00000000001"
REGION = "us-east-1"
IDENTIFIER = "aws.codeinterpreter.v1"


def percentiles(samples):
    s = sorted(samples)

    def at(p):
        return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]
    return statistics.median(s), at(90), at(99)


def line(label, samples, unit="ms"):
    med, p90, p99 = percentiles(samples)
    print(f"{label:44s} x {len(samples)}: median {med:7.2f} {unit}, p90 {p90:7.2f} {unit}, "
          f"p99 {p99:7.2f} {unit}", flush=True)


class Server:
    def __init__(self, codeinterp, workdir):
        self.keys = os.path.join(workdir, "keys")
        self.secret = secrets.token_urlsafe(30)
        fd = os.open(self.keys, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f"{KEY_ID} {self.secret} bench\n")
        self.log = open(os.path.join(workdir, "serve.log"), "w+b")
        self.proc = subprocess.Popen(
            [codeinterp, "serve", "--port", "0", "--keys", self.keys, "--quiet",
             "--max-sessions", "64"],
            stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 30
        self.url = None
        while self.url is None:
            self.log.seek(0)
            m = re.search(rb"listening on (http://127\.0\.0\.1:\d+)", self.log.read())
            if m:
                self.url = m.group(1).decode()
            elif self.proc.poll() is not None or time.monotonic() > deadline:
                self.log.seek(0)
                sys.exit("serve_bench: the server did not start: " +
                         self.log.read().decode(errors="replace"))
            else:
                time.sleep(0.05)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)
        self.log.close()


def boto3_figures(server, runs, starts):
    import boto3
    client = boto3.client("bedrock-agentcore", region_name=REGION, endpoint_url=server.url,
                          aws_access_key_id=KEY_ID, aws_secret_access_key=server.secret)
    sid = client.start_code_interpreter_session(codeInterpreterIdentifier=IDENTIFIER,
                                                sessionTimeoutSeconds=900)["sessionId"]

    def call():
        resp = client.invoke_code_interpreter(
            codeInterpreterIdentifier=IDENTIFIER, sessionId=sid, name="executeCode",
            arguments={"code": "print(1)", "language": "python"})
        results = [ev["result"] for ev in resp["stream"]]
        if results[-1]["structuredContent"]["stdout"] != "1\n":
            sys.exit(f"serve_bench: unexpected answer {results!r}")

    call()  # the interpreter starts: a one-time cost
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t) * 1e3)
    line("boto3 invoke executeCode print(1)", samples)
    client.stop_code_interpreter_session(codeInterpreterIdentifier=IDENTIFIER, sessionId=sid)

    t0 = time.perf_counter()
    cycle = []
    for _ in range(starts):
        t = time.perf_counter()
        s = client.start_code_interpreter_session(codeInterpreterIdentifier=IDENTIFIER)
        client.stop_code_interpreter_session(codeInterpreterIdentifier=IDENTIFIER,
                                             sessionId=s["sessionId"])
        cycle.append((time.perf_counter() - t) * 1e3)
    took = time.perf_counter() - t0
    line("boto3 start + stop session", cycle)
    print(f"{'sessions started and stopped per second':44s}   {starts / took:7.1f} /s "
          f"(one client, {starts} in {took:.1f} s)", flush=True)


def sdk_figures(server, runs):
    # the SDK reads the endpoint when it is imported: set it first
    os.environ["BEDROCK_AGENTCORE_DP_ENDPOINT"] = server.url
    os.environ["AWS_ACCESS_KEY_ID"] = KEY_ID
    os.environ["AWS_SECRET_ACCESS_KEY"] = server.secret
    os.environ.pop("AWS_SESSION_TOKEN", None)
    from bedrock_agentcore.tools.code_interpreter_client import CodeInterpreter
    ci = CodeInterpreter(REGION)
    ci.start()
    try:
        def call():
            results = [ev["result"] for ev in ci.execute_code("print(1)")["stream"]]
            if results[-1]["structuredContent"]["stdout"] != "1\n":
                sys.exit(f"serve_bench: unexpected SDK answer {results!r}")
        call()
        samples = []
        for _ in range(runs):
            t = time.perf_counter()
            call()
            samples.append((time.perf_counter() - t) * 1e3)
        line("SDK CodeInterpreter.execute_code print(1)", samples)
    finally:
        ci.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--codeinterp", required=True)
    ap.add_argument("--roundtrip", required=True)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--starts", type=int, default=50)
    args = ap.parse_args()

    out = subprocess.run([args.roundtrip, str(args.runs), "print(1)"], capture_output=True,
                         text=True, check=True).stdout
    m = re.search(r"median (\d+) us, p90 (\d+) us, p99 (\d+) us", out)
    print(f"{'C API ci_execute print(1) (bench/roundtrip)':44s} x {args.runs}: median "
          f"{int(m.group(1)) / 1e3:7.2f} ms, p90 {int(m.group(2)) / 1e3:7.2f} ms, "
          f"p99 {int(m.group(3)) / 1e3:7.2f} ms", flush=True)

    with tempfile.TemporaryDirectory(prefix="serve-bench-") as workdir:
        server = Server(args.codeinterp, workdir)
        try:
            boto3_figures(server, args.runs, args.starts)
            sdk_figures(server, args.runs)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
