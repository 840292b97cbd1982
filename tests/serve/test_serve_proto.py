#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""serve-units: tools/serve's building blocks held against botocore.

    test_serve_proto.py SERVE_PROBE eventstream|sigv4|keyfile

eventstream: messages made by the encoder are read by botocore's own
  EventStreamBuffer and by the EventStream that boto3 hands out for
  InvokeCodeInterpreter (parsed with the service model), and a message with
  a damaged CRC is refused by it.
sigv4: requests that a real boto3 bedrock-agentcore client signs (captured
  in its before-send event, never sent) for the real routes, and requests
  signed by botocore.auth.SigV4Auth directly, are accepted by the verifier;
  each kind of failure is told apart.
keyfile: mode, owner and line checks of the access key file.

Meson runs it with the test venv's Python (tests/meson.build,
test_venv_python); it exits 77 (skipped) when that venv is missing.
"""
import os
import sys

try:
    import botocore  # noqa: F401
except ImportError:
    print('SKIP: botocore is not installed; run scripts/setup')
    sys.exit(77)

import hashlib
import json
import subprocess
import tempfile
import time
import unittest
from urllib.parse import urlsplit

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import botocore.eventstream
import botocore.exceptions
import botocore.parsers
import botocore.session

PROBE = None
ENDPOINT = 'http://127.0.0.1:8741'
REGION = 'us-east-1'
KEY_ID = 'AKIASERVETEST0000001'
SECRET = 'c2VydmUtdGVzdC1zZWNyZXQ/+Kx9'
KEYS = {KEY_ID: SECRET, 'AKIAOTHERKEY00000002': 'other-secret'}


def probe(*args, stdin=b''):
    return subprocess.run([PROBE, *args], input=stdin, capture_output=True, check=False)


# ------------------------------------------------------------ eventstream --

def encode_event(payload, event_type='result', content_type='application/json'):
    r = probe('es-event', event_type, content_type, stdin=payload)
    assert r.returncode == 0, r.stderr
    return r.stdout


def encode_exception(payload, exception_type, content_type='application/json'):
    r = probe('es-exception', exception_type, content_type, stdin=payload)
    assert r.returncode == 0, r.stderr
    return r.stdout


def decode_all(data, chunk=None):
    buf = botocore.eventstream.EventStreamBuffer()
    out = []
    if chunk is None:
        buf.add_data(data)
        out.extend(buf)
    else:
        for i in range(0, len(data), chunk):
            buf.add_data(data[i:i + chunk])
            out.extend(buf)
    return out


class RawStream:
    """What botocore's EventStream reads: the response body, in chunks."""

    def __init__(self, data, chunk=7):
        self.data, self.chunk = data, chunk

    def stream(self):
        for i in range(0, len(self.data), self.chunk):
            yield self.data[i:i + self.chunk]

    def close(self):
        pass


def invoke_stream(data):
    """The EventStream boto3 returns as response['stream'], over data."""
    model = botocore.session.get_session().get_service_model('bedrock-agentcore')
    shape = model.operation_model('InvokeCodeInterpreter').output_shape.members['stream']
    return botocore.eventstream.EventStream(
        RawStream(data), shape, botocore.parsers.create_parser('rest-json')._event_stream_parser,
        'InvokeCodeInterpreter')


RESULT = {
    'content': [
        {'type': 'text', 'text': 'hello\n'},
        {'type': 'image', 'data': 'iVBORw0KGgo=', 'mimeType': 'image/png'},
        {'type': 'resource_link', 'uri': 'file:///workspace/a.txt', 'name': 'a.txt',
         'description': 'a file', 'mimeType': 'text/plain', 'size': 5},
        {'type': 'resource', 'resource': {'type': 'text', 'uri': 'file:///workspace/a.txt',
                                          'mimeType': 'text/plain', 'text': 'abcde'}},
    ],
    'structuredContent': {'stdout': 'hello\n', 'stderr': '', 'exitCode': 0,
                          'executionTime': 0.25},
    'isError': False,
}


class EventStreamTests(unittest.TestCase):
    def test_event_headers_and_payload(self):
        payload = json.dumps(RESULT).encode()
        data = encode_event(payload)
        for chunk in (None, 1, 5, 4096):
            msgs = decode_all(data, chunk)
            self.assertEqual(len(msgs), 1)
            self.assertEqual(msgs[0].headers, {':message-type': 'event',
                                               ':event-type': 'result',
                                               ':content-type': 'application/json'})
            self.assertEqual(msgs[0].payload, payload)

    def test_no_content_type(self):
        msgs = decode_all(encode_event(b'{}', content_type='-'))
        self.assertEqual(msgs[0].headers, {':message-type': 'event', ':event-type': 'result'})

    def test_empty_and_large_payloads(self):
        for size in (0, 1, 1 << 20, 5 * (1 << 20) + 3):
            payload = os.urandom(size)
            msgs = decode_all(encode_event(payload, content_type='application/octet-stream'))
            self.assertEqual(msgs[0].payload, payload)
            self.assertEqual(msgs[0].prelude.total_length, len(payload) + msgs[0].prelude.headers_length + 16)

    def test_stream_of_messages(self):
        payloads = [json.dumps({'content': [{'type': 'text', 'text': str(i)}]}).encode()
                    for i in range(5)]
        data = b''.join(encode_event(p) for p in payloads)
        for chunk in (None, 3):
            self.assertEqual([m.payload for m in decode_all(data, chunk)], payloads)

    def test_boto3_invoke_stream_parses_result(self):
        data = encode_event(json.dumps(RESULT).encode()) + encode_event(
            json.dumps({'content': [{'type': 'text', 'text': 'more'}], 'isError': True}).encode())
        events = list(invoke_stream(data))
        self.assertEqual(len(events), 2)
        result = events[0]['result']
        self.assertEqual(result['content'][0], {'type': 'text', 'text': 'hello\n'})
        # A blob in JSON is base64: boto3 hands out the bytes.
        self.assertEqual(result['content'][1]['data'], b'\x89PNG\r\n\x1a\n')
        self.assertEqual(result['content'][2]['size'], 5)
        self.assertEqual(result['content'][3]['resource']['type'], 'text')
        self.assertEqual(result['structuredContent']['exitCode'], 0)
        self.assertEqual(result['structuredContent']['executionTime'], 0.25)
        self.assertIs(result['isError'], False)
        self.assertIs(events[1]['result']['isError'], True)

    def test_boto3_invoke_stream_raises_modeled_exception(self):
        body = json.dumps({'message': 'no such tool', 'reason': 'FieldValidationFailed'}).encode()
        data = encode_event(json.dumps(RESULT).encode()) + encode_exception(body, 'validationException')
        it = iter(invoke_stream(data))
        self.assertIn('result', next(it))
        with self.assertRaises(botocore.exceptions.EventStreamError) as cm:
            next(it)
        self.assertEqual(cm.exception.response['Error']['Code'], 'validationException')
        self.assertEqual(cm.exception.response['Error']['Message'], 'no such tool')
        msgs = decode_all(encode_exception(body, 'throttlingException'))
        self.assertEqual(msgs[0].headers, {':message-type': 'exception',
                                           ':exception-type': 'throttlingException',
                                           ':content-type': 'application/json'})
        self.assertEqual(msgs[0].to_response_dict()['status_code'], 400)

    def test_corrupted_crc_is_refused(self):
        good = encode_event(b'{"content":[]}')
        # A payload byte, the prelude's length, each CRC itself.
        for pos in (len(good) - 6, 3, 9, len(good) - 1):
            bad = bytearray(good)
            bad[pos] ^= 0x01
            with self.assertRaises(botocore.eventstream.ChecksumMismatch, msg=f'byte {pos}'):
                decode_all(bytes(bad))
        with self.assertRaises(botocore.eventstream.ChecksumMismatch):
            list(invoke_stream(good[:-6] + bytes([good[-6] ^ 0x20]) + good[-5:]))

    def test_every_header_type(self):
        r = probe('es-all-types')
        self.assertEqual(r.returncode, 0, r.stderr)
        msgs = decode_all(r.stdout)
        self.assertEqual(msgs[0].headers, {
            'true': True, 'false': False, 'byte': -7, 'short': -30000,
            'integer': 2000000000, 'long': -9000000000000000000,
            'bytes': b'\xff\x00\x7f', 'string': 'h\u00e9llo',
            'timestamp': 1700000000123, 'uuid': bytes(range(16)), 'empty': '',
        })
        self.assertEqual(msgs[0].payload, b'x')

    def test_encoder_refusals(self):
        r = probe('es-errors')
        self.assertEqual(r.stdout.decode().strip(), 'ok', r.stdout.decode() + r.stderr.decode())
        self.assertEqual(r.returncode, 0)


# ------------------------------------------------------------------ sigv4 --

class Captured(Exception):
    def __init__(self, request):
        super().__init__('captured')
        self.request = request


def boto3_client(key_id=KEY_ID, secret=SECRET, region=REGION):
    session = boto3.session.Session(aws_access_key_id=key_id, aws_secret_access_key=secret,
                                    region_name=region)
    client = session.client('bedrock-agentcore', endpoint_url=ENDPOINT,
                            config=botocore.config.Config(retries={'max_attempts': 1}))

    def before_send(request, **_):
        raise Captured(request)

    client.meta.events.register('before-send.bedrock-agentcore', before_send)
    return client


def capture(operation, client=None, **params):
    """The request boto3 would send for operation(**params), as received."""
    client = client or boto3_client()
    try:
        getattr(client, operation)(**params)
    except Captured as c:
        return wire(c.request.method, c.request.url, c.request.headers.items(), c.request.body)
    raise AssertionError('nothing was sent')


def wire(method, url, headers, body):
    """A request as a server receives it: raw path and query, the headers
    with the Host header that urllib3 adds, the body."""
    parts = urlsplit(url)
    hs = [[k.decode() if isinstance(k, bytes) else k, v.decode() if isinstance(v, bytes) else v]
          for k, v in headers]
    if not any(k.lower() == 'host' for k, _ in hs):
        hs.append(['Host', parts.netloc])
    if isinstance(body, str):
        body = body.encode()
    return {'method': method, 'path': parts.path, 'query': parts.query, 'headers': hs,
            'body': body or b''}


def sigv4_sign(method, url, body=b'', headers=None, service='bedrock-agentcore',
               key_id=KEY_ID, secret=SECRET, region=REGION):
    """botocore.auth.SigV4Auth directly, on an AWSRequest."""
    req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body,
                                         headers=dict(headers or {}))
    auth = botocore.auth.SigV4Auth(botocore.credentials.Credentials(key_id, secret),
                                   service, region)
    auth.add_auth(req)
    prepared = req.prepare()
    return wire(prepared.method, prepared.url, prepared.headers.items(), prepared.body)


def verify(requests, now=None, **cfg):
    """Runs the verifier over requests; a list of (result, key id, detail)."""
    cases = []
    for r in requests:
        case = {'method': r['method'], 'path': r['path'], 'query': r['query'],
                'headers': r['headers'], 'body_hex': r['body'].hex(),
                'now': int(time.time()) if now is None else now, 'keys': KEYS}
        case.update(cfg)
        case.update(r.get('cfg', {}))
        cases.append(case)
    p = probe('sigv4', stdin=json.dumps(cases).encode())
    assert p.returncode == 0, p.stderr
    lines = p.stdout.decode().splitlines()
    assert len(lines) == len(cases), p.stdout
    return [tuple(line.split('\t')) for line in lines]


def result_of(request, **cfg):
    return verify([request], **cfg)[0][0]


def set_header(request, name, value):
    hs = [h for h in request['headers'] if h[0].lower() != name.lower()]
    return dict(request, headers=hs + [[name, value]])


ID = 'aws.codeinterpreter.v1'


def route_requests():
    """Every code-interpreter operation, as the real boto3 client sends it."""
    return {
        'start': capture('start_code_interpreter_session', codeInterpreterIdentifier=ID,
                         name='s1', sessionTimeoutSeconds=900),
        'get': capture('get_code_interpreter_session', codeInterpreterIdentifier=ID,
                       sessionId='01JABCDEF0123456789'),
        'list': capture('list_code_interpreter_sessions', codeInterpreterIdentifier=ID,
                        maxResults=10, status='READY'),
        'stop': capture('stop_code_interpreter_session', codeInterpreterIdentifier=ID,
                        sessionId='01JABCDEF0123456789'),
        'invoke': capture('invoke_code_interpreter', codeInterpreterIdentifier=ID,
                          sessionId='01JABCDEF0123456789', name='executeCode',
                          arguments={'code': 'print(1)', 'language': 'python'}),
    }


ALSO = ['content-type', 'x-amzn-code-interpreter-session-id']


class SigV4Tests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.routes = route_requests()

    def test_routes_are_what_the_model_says(self):
        r = self.routes
        self.assertEqual((r['start']['method'], r['start']['path']),
                         ('PUT', f'/code-interpreters/{ID}/sessions/start'))
        self.assertEqual((r['get']['method'], r['get']['path'], r['get']['query']),
                         ('GET', f'/code-interpreters/{ID}/sessions/get', 'sessionId=01JABCDEF0123456789'))
        self.assertEqual((r['list']['method'], r['list']['path']),
                         ('POST', f'/code-interpreters/{ID}/sessions/list'))
        self.assertEqual((r['stop']['method'], r['stop']['query']),
                         ('PUT', 'sessionId=01JABCDEF0123456789'))
        self.assertEqual(r['invoke']['path'], f'/code-interpreters/{ID}/tools/invoke')
        self.assertIn(['x-amzn-code-interpreter-session-id', '01JABCDEF0123456789'],
                      [[k.lower(), v] for k, v in r['invoke']['headers']])
        self.assertEqual(json.loads(r['invoke']['body']),
                         {'name': 'executeCode', 'arguments': {'code': 'print(1)', 'language': 'python'}})

    def test_boto3_requests_are_accepted(self):
        names = list(self.routes)
        results = verify(self.routes.values(), region=REGION, also_signed=ALSO)
        for name, (res, key, detail) in zip(names, results):
            self.assertEqual((name, res, key), (name, 'ok', KEY_ID), detail)

    def test_escaped_identifier_and_query(self):
        # The path carries %-escapes on the wire, which are signed escaped again.
        client = boto3_client()
        req = capture('get_code_interpreter_session', client, codeInterpreterIdentifier='my interp/\u00e9x',
                      sessionId='a b+c/\u00e9~*')
        self.assertEqual(req['path'], '/code-interpreters/my%20interp%2F%C3%A9x/sessions/get')
        self.assertEqual(req['query'], 'sessionId=a%20b%2Bc%2F%C3%A9~%2A')
        self.assertEqual(result_of(req), 'ok')
        # A query of several parameters out of order, and one without '='.
        req = sigv4_sign('GET', ENDPOINT + f'/code-interpreters/{ID}/sessions/get?sessionId=z9&b=%2F&a=2&a=1&flag')
        self.assertEqual(result_of(req), 'ok')
        # Dot segments and doubled slashes are signed normalized.
        req = sigv4_sign('GET', ENDPOINT + f'/code-interpreters/./x/../{ID}//sessions/get?sessionId=a')
        self.assertIn('..', req['path'])
        self.assertEqual(result_of(req), 'ok')
        # A bad escape in the query is malformed.
        self.assertEqual(result_of(dict(req, query='sessionId=%G1')), 'malformed')

    def test_direct_sigv4auth(self):
        body = json.dumps({'name': 's', 'sessionTimeoutSeconds': 60}).encode()
        req = sigv4_sign('PUT', ENDPOINT + f'/code-interpreters/{ID}/sessions/start', body,
                         {'Content-Type': 'application/json'})
        self.assertEqual(result_of(req, region=REGION, also_signed=ALSO), 'ok')

    def test_wrong_secret(self):
        req = capture('start_code_interpreter_session', boto3_client(secret='not-the-secret'),
                      codeInterpreterIdentifier=ID)
        self.assertEqual(verify([req])[0][:2], ('bad-signature', KEY_ID))

    def test_tampered_request(self):
        inv = self.routes['invoke']
        tampered = dict(inv, body=inv['body'].replace(b'print(1)', b'print(2)'))
        self.assertEqual(result_of(tampered), 'bad-signature')
        self.assertEqual(result_of(set_header(inv, 'x-amzn-code-interpreter-session-id', 'OTHER')),
                         'bad-signature')
        self.assertEqual(result_of(dict(self.routes['get'], query='sessionId=OTHER')), 'bad-signature')
        self.assertEqual(result_of(dict(self.routes['get'], method='PUT')), 'bad-signature')
        self.assertEqual(result_of(dict(self.routes['get'], path=f'/code-interpreters/{ID}/sessions/stop')),
                         'bad-signature')

    def test_content_sha256_header(self):
        body = b'{"name":"executeCode","arguments":{"code":"print(1)"}}'
        url = ENDPOINT + f'/code-interpreters/{ID}/tools/invoke'
        req = sigv4_sign('POST', url, body, {'X-Amz-Content-SHA256': hashlib.sha256(body).hexdigest()})
        self.assertEqual(result_of(req), 'ok')
        self.assertEqual(result_of(dict(req, body=body + b' ')), 'payload-mismatch')
        unsigned = sigv4_sign('POST', url, body, {'X-Amz-Content-SHA256': 'UNSIGNED-PAYLOAD'})
        self.assertEqual(result_of(unsigned), 'malformed')
        self.assertEqual(result_of(dict(unsigned, body=b'other'), allow_unsigned=True), 'ok')

    def test_clock_skew(self):
        req = self.routes['start']
        now = int(time.time())
        self.assertEqual(verify([req], now=now + 400)[0][0], 'clock-skew')
        self.assertEqual(verify([req], now=now - 400)[0][0], 'clock-skew')
        self.assertEqual(verify([req], now=now + 200)[0][0], 'ok')
        self.assertEqual(verify([req], now=now - 200)[0][0], 'ok')
        # A replay of the same request after the window: refused.
        self.assertEqual(verify([req], now=now + 3600)[0][0], 'clock-skew')

    def test_unsigned_header(self):
        start = self.routes['start']
        self.assertEqual(result_of(set_header(start, 'X-Amz-Security-Token', 'tok')), 'unsigned-header')
        self.assertEqual(result_of(set_header(start, 'X-Amz-Target', 'x')), 'unsigned-header')
        # The session header, added after signing, must be signed when the
        # server asks for it.
        req = sigv4_sign('POST', ENDPOINT + f'/code-interpreters/{ID}/tools/invoke', b'{}')
        req = set_header(req, 'x-amzn-code-interpreter-session-id', 'S1')
        self.assertEqual(result_of(req, also_signed=ALSO), 'unsigned-header')
        self.assertEqual(result_of(req), 'ok')
        # host and x-amz-date are always required in SignedHeaders.
        auth = [v for k, v in start['headers'] if k.lower() == 'authorization'][0]
        for dropped, rest in (('host;', ''), (';x-amz-date', '')):
            self.assertIn(dropped, auth)
            forged = set_header(start, 'Authorization', auth.replace(dropped, rest))
            self.assertEqual(result_of(forged), 'unsigned-header')
        # Headers botocore never signs (User-Agent) may change.
        self.assertEqual(result_of(set_header(start, 'User-Agent', 'changed')), 'ok')

    def test_wrong_scope(self):
        url = ENDPOINT + f'/code-interpreters/{ID}/sessions/start'
        for service in ('bedrock', 'bedrock-agentcore-control', 's3'):
            res, key, detail = verify([sigv4_sign('PUT', url, b'{}', service=service)])[0]
            self.assertEqual(res, 'wrong-scope', detail)
            self.assertIn(service, detail)
        req = sigv4_sign('PUT', url, b'{}', region='eu-west-1')
        self.assertEqual(result_of(req), 'ok')
        self.assertEqual(result_of(req, region=REGION), 'wrong-scope')
        auth = [v for k, v in req['headers'] if k.lower() == 'authorization'][0]
        self.assertEqual(result_of(set_header(req, 'Authorization', auth.replace('/aws4_request', '/aws5_request'))),
                         'wrong-scope')
        amz_date = [v for k, v in req['headers'] if k.lower() == 'x-amz-date'][0]
        other_day = auth.replace('/' + amz_date[:8] + '/', '/20200101/')
        self.assertEqual(result_of(set_header(req, 'Authorization', other_day)), 'wrong-scope')

    def test_unknown_key(self):
        req = capture('start_code_interpreter_session', boto3_client(key_id='AKIANOBODY0000000000'),
                      codeInterpreterIdentifier=ID)
        self.assertEqual(verify([req])[0][:2], ('unknown-key', 'AKIANOBODY0000000000'))
        # The second key of the table is a key like any other.
        req = capture('start_code_interpreter_session',
                      boto3_client(key_id='AKIAOTHERKEY00000002', secret='other-secret'),
                      codeInterpreterIdentifier=ID)
        self.assertEqual(verify([req])[0][:2], ('ok', 'AKIAOTHERKEY00000002'))

    def test_malformed(self):
        start = self.routes['start']
        auth = [v for k, v in start['headers'] if k.lower() == 'authorization'][0]
        no_auth = dict(start, headers=[h for h in start['headers'] if h[0].lower() != 'authorization'])
        no_date = dict(start, headers=[h for h in start['headers'] if h[0].lower() != 'x-amz-date'])
        bad = [
            no_auth,
            no_date,
            set_header(start, 'X-Amz-Date', '20261304T000000Z'),
            set_header(start, 'Authorization', 'Bearer abc'),
            set_header(start, 'Authorization', auth[:-1]),
            set_header(start, 'Authorization', auth[:-1] + 'g'),
            set_header(start, 'Authorization', auth + ', Signature=' + '0' * 64),
            set_header(start, 'Authorization', auth.replace('SignedHeaders=', 'SignedHeaders=aaa;')),
            set_header(start, 'Authorization', auth.replace('Credential=' + KEY_ID + '/', 'Credential=')),
            dict(start, headers=start['headers'] + [['Authorization', auth]]),
        ]
        for i, (res, _, detail) in enumerate(verify(bad)):
            self.assertEqual((i, res), (i, 'malformed'), detail)

    def test_precheck_without_body(self):
        inv = self.routes['invoke']
        self.assertEqual(result_of(inv, precheck=True, no_body_hash=True), 'ok')
        self.assertEqual(result_of(inv, no_body_hash=True), 'malformed')
        other = capture('start_code_interpreter_session', boto3_client(key_id='AKIANOBODY0000000000'),
                        codeInterpreterIdentifier=ID)
        self.assertEqual(result_of(other, precheck=True, no_body_hash=True), 'unknown-key')
        self.assertEqual(result_of(inv, precheck=True, no_body_hash=True, now=int(time.time()) + 900),
                         'clock-skew')


# ---------------------------------------------------------------- keyfile --

class KeyfileTests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, 'keys')

    def tearDown(self):
        self.dir.cleanup()

    def write(self, text, mode=0o600):
        with open(self.path, 'w') as f:
            f.write(text)
        os.chmod(self.path, mode)

    def load(self, *args, path=None):
        r = probe('keyfile', path or self.path, *args)
        return r.returncode, r.stdout.decode().rstrip('\n').split('\t', 1)[-1]

    GOOD = ('# access keys of codeinterp serve\n'
            '\n'
            'AKIASERVETEST0000001 c2VydmUtdGVzdC1zZWNyZXQ/+Kx9 alice@example\n'
            '  AKIAOTHERKEY00000002\tother-secret  \n'
            'AKIATHIRD0000000003 s3cr3t!#$%&()*,-./:;<=>?@[]^_`{|}~ ci-runner\r\n')

    def test_0600_and_0400_accepted(self):
        for mode in (0o600, 0o400):
            self.write(self.GOOD, mode)
            self.assertEqual(self.load(), (0, '3'))
        self.assertEqual(self.load(KEY_ID, SECRET, 'alice@example'), (0, '3'))
        self.assertEqual(self.load('AKIAOTHERKEY00000002', 'other-secret', 'AKIAOTHERKEY00000002'), (0, '3'))
        self.assertEqual(self.load('AKIATHIRD0000000003', 's3cr3t!#$%&()*,-./:;<=>?@[]^_`{|}~', 'ci-runner'),
                         (0, '3'))
        self.assertEqual(self.load('AKIAUNKNOWN', 'x', 'y')[0], 1)

    def test_group_or_other_access_refused(self):
        for mode in (0o644, 0o640, 0o604, 0o660, 0o602, 0o610):
            self.write(self.GOOD, mode)
            rc, err = self.load()
            self.assertEqual(rc, 1)
            self.assertIn(f'mode {mode:04o}', err)
            self.assertIn('chmod 600', err)

    def test_other_owner_refused(self):
        if os.geteuid() != 0:
            self.skipTest('chown needs root')
        self.write(self.GOOD)
        os.chown(self.path, 65534, 65534)
        rc, err = self.load()
        self.assertEqual(rc, 1)
        self.assertIn('owned by uid 65534', err)

    def test_symlink_directory_missing_refused(self):
        self.write(self.GOOD)
        link = os.path.join(self.dir.name, 'link')
        os.symlink(self.path, link)
        rc, err = self.load(path=link)
        self.assertEqual(rc, 1)
        self.assertIn('symbolic link', err)
        self.assertEqual(self.load(path=self.dir.name)[0], 1)
        rc, err = self.load(path=os.path.join(self.dir.name, 'none'))
        self.assertEqual(rc, 1)
        self.assertIn('No such file', err)

    def test_malformed_lines_refused_with_line_number(self):
        head = '# keys\nAKIAGOOD0000000001 secret1\n'
        cases = [
            ('AKIAONLYID', 'no secret'),
            ('AKIA-BAD secret', 'key id has a character'),
            ('AKIAGOOD0000000001 again', 'listed twice'),
            ('AKIAX s\u00e9cret', 'not printable ASCII'),
            ('AKIAX secret name with spaces', 'more than three fields'),
            ('AKIAX secret bad/name', 'name has a character'),
            ('A' * 129 + ' secret', 'longer than 128'),
            ('AKIAX ' + 's' * 257, 'secret longer than 256'),
            ('AKIAX secret ' + 'n' * 65, 'name longer than 64'),
            ('AKIAX ' + 's' * 2000, 'longer than 1023 bytes'),
        ]
        for line, why in cases:
            self.write(head + line + '\nAKIALATER00000001 secret\n')
            rc, err = self.load()
            self.assertEqual(rc, 1, line)
            self.assertIn(f'{self.path}:3: ', err)
            self.assertIn(why, err)

    def test_empty_file_refused(self):
        for text in ('', '# only a comment\n\n'):
            self.write(text)
            rc, err = self.load()
            self.assertEqual(rc, 1)
            self.assertIn('no keys', err)


SUITES = {'eventstream': EventStreamTests, 'sigv4': SigV4Tests, 'keyfile': KeyfileTests}

if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.exit('usage: test_serve_proto.py SERVE_PROBE [eventstream|sigv4|keyfile]')
    PROBE = os.path.abspath(sys.argv[1])
    names = sys.argv[2:] or list(SUITES)
    suite = unittest.TestSuite(unittest.defaultTestLoader.loadTestsFromTestCase(SUITES[n]) for n in names)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)
