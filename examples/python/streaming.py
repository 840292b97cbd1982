#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Streaming: output reaches the host while the code runs; another thread
cancels an execution that would run for a minute."""
import sys
import threading

from codeinterp import CodeInterpreterClient

interpreter = CodeInterpreterClient(timeout=120)
with interpreter.create_session() as session:
    result = session.execute(
        code="for (let i = 1; i <= 3; i++) {\n"
             "  console.log(`tick ${i}`);\n"
             "  await new Promise(resolve => setTimeout(resolve, 200));\n"
             "}",
        language="javascript",
        on_stdout=lambda text: print(text, end="", flush=True),
        on_stderr=lambda text: print(text, end="", file=sys.stderr))
    print("status:", result.status)

    started = threading.Event()
    canceller = threading.Thread(target=lambda: started.wait() and session.cancel())
    canceller.start()
    result = session.execute(code="import time\nprint('working', flush=True)\ntime.sleep(60)",
                             on_stdout=lambda text: started.set())
    canceller.join()
    print("status:", result.status, "after", result.output.strip())
