# SPDX-License-Identifier: MIT
"""An independent S3 client (boto3) for tests/test_s3.c, run with the test
environment's Python ($CODEINTERP_RUNTIME_DIR/test/venv). It puts the tests'
inputs in place and checks what the library sent, so that neither side of a
round trip is verified by the code under test. Every endpoint is on
127.0.0.1.

    s3_tool.py ENDPOINT ACCESS_KEY SECRET_KEY COMMAND [ARGS]

    moto-setup           IAM user with an s3:* policy and an access key
                         (on a moto server still in its INITIAL_NO_AUTH
                         actions); prints "ACCESS_KEY SECRET_KEY"
    mb BUCKET            creates a bucket
    put BUCKET KEY FILE  uploads a file
    cat BUCKET KEY       prints an object
    sum BUCKET KEY       prints "SIZE SHA256", or "missing"
    ls BUCKET PREFIX     prints "KEY SIZE" lines
    uploads BUCKET       prints how many multipart uploads are in progress
"""
import hashlib
import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def client(service, endpoint, access, secret):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=access,
        aws_secret_access_key=secret,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
    )


def main(argv):
    endpoint, access, secret, command, args = argv[1], argv[2], argv[3], argv[4], argv[5:]
    if command == "moto-setup":
        iam = client("iam", endpoint, access, secret)
        iam.create_user(UserName="codeinterp-test")
        policy = {"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        iam.put_user_policy(UserName="codeinterp-test", PolicyName="s3",
                            PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="codeinterp-test")["AccessKey"]
        print(key["AccessKeyId"], key["SecretAccessKey"])
        return 0
    s3 = client("s3", endpoint, access, secret)
    if command == "mb":
        s3.create_bucket(Bucket=args[0])
    elif command == "put":
        s3.upload_file(args[2], args[0], args[1])
    elif command == "cat":
        sys.stdout.buffer.write(s3.get_object(Bucket=args[0], Key=args[1])["Body"].read())
    elif command == "sum":
        try:
            body = s3.get_object(Bucket=args[0], Key=args[1])["Body"]
        except ClientError as e:
            if e.response["Error"]["Code"] in ("NoSuchKey", "404"):
                print("missing")
                return 0
            raise
        h, n = hashlib.sha256(), 0
        for chunk in iter(lambda: body.read(1 << 20), b""):
            h.update(chunk)
            n += len(chunk)
        print(n, h.hexdigest())
    elif command == "ls":
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=args[0], Prefix=args[1])
        for page in pages:
            for o in page.get("Contents", []):
                print(o["Key"], o["Size"])
    elif command == "uploads":
        print(len(s3.list_multipart_uploads(Bucket=args[0]).get("Uploads", [])))
    else:
        print("unknown command", command, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
