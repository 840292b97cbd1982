#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""S3 in and out: an object fetched into /data before the code runs, the
files of /output sent to a prefix afterwards, and one object fetched back.
Credentials, region and endpoint come from the AWS_* environment variables
(or the client's s3_* options); they never enter the sandbox.

    python3 s3.py [s3://bucket/in/sales.csv [s3://bucket/out/]]
"""
import sys

import codeinterp
from codeinterp import CodeInterpreterClient

source = sys.argv[1] if len(sys.argv) > 1 else "s3://examples/in/sales.csv"
target = sys.argv[2] if len(sys.argv) > 2 else "s3://examples/out/"

interpreter = CodeInterpreterClient(timeout=120)
with interpreter.create_session() as session:
    try:
        result = session.execute(code="import pandas as pd\n"
                                      "df = pd.read_csv('/data/sales.csv')\n"
                                      "totals = df.groupby('region')['amount'].sum()\n"
                                      "totals.to_csv('/output/totals.csv')\n"
                                      "print(totals.to_string())",
                                 input_s3_uri=source, output_s3_uri=target)
    except codeinterp.TransferError as e:  # NoSuchKeyError, AccessDeniedError, ...
        sys.exit("s3: %s: %s" % (type(e).__name__, e))
    print(result.output, end="")
    if not result.ok:
        sys.exit("s3: %s" % (result.error,))
    for upload in result.s3_uploads:
        print("uploaded: %s (%d bytes)" % (upload.uri, upload.size))
    if result.s3_upload_error:
        sys.exit("s3: upload: %s" % result.s3_upload_error)

    session.s3_download(result.s3_uploads[0].uri, file_name="check.csv")
    print("round trip:")
    print(session.download("check.csv").decode(), end="")
