#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A session with an upload: a CSV goes into /workspace, pandas sums it and
draws a chart, and the host gets the summary file and the chart back."""
import os
import sys
import tempfile

import codeinterp
from codeinterp import CodeInterpreterClient

interpreter = CodeInterpreterClient(timeout=120, memory_limit="1G")

with tempfile.TemporaryDirectory() as tmp, interpreter.create_session() as session:
    csv = os.path.join(tmp, "sales.csv")
    with open(csv, "w") as f:
        f.write("region,amount\nnorth,120\nsouth,80\nnorth,30\n")
    session.upload_file(file_path=csv, file_name="sales.csv")

    result = session.execute(code="import pandas as pd\n"
                                  "df = pd.read_csv('sales.csv')\n"
                                  "totals = df.groupby('region')['amount'].sum()\n"
                                  "totals.to_csv('totals.csv')\n"
                                  "totals.plot.bar()\n"
                                  "int(totals.sum())")
    if not result.ok:
        print(result.error, file=sys.stderr)
        sys.exit(1)
    print("total:", result.value)
    print("charts:", [image.mime_type for image in result.images])
    print("artifacts:", [(a.path, a.size) for a in result.artifacts])
    print("files:", [(f.name, f.type) for f in session.list_files()])
    print(session.download_file(file_name="totals.csv").decode(), end="")

    # library errors are exceptions
    try:
        session.download_file(file_name="missing.csv")
    except codeinterp.NoSuchFileError as e:
        print("error:", e.name)
