#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""serve: `codeinterp serve` end to end, with the real clients.

    test_serve.py CODEINTERP CASE

Each case starts its own server on 127.0.0.1 (a free port the server picks,
read from its first line on stderr) with a temporary key file, and stops it
after. Nothing leaves loopback.

  boto3      every operation of boto3's bedrock-agentcore client, every tool;
             ValidationException's reason and fieldList; ConflictException;
             a stop repeated with its clientToken
  stream     --stream-output: output events while a call runs, then the result;
             a client leaving a streamed call cancels it; SIGTERM during one
  sdk        the AgentCore SDK's CodeInterpreter (BEDROCK_AGENTCORE_DP_ENDPOINT)
  auth       wrong secret, unknown key, replay past the skew window, another
             key's session, quotas, ThrottlingException, refusals on the audit
             trail, an expired session, refused setups
  robust     raw sockets: malformed HTTP and JSON, oversize bodies, unknown
             routes; a client that drops mid-call cancels it; /healthz, /metrics
  parallel   32 clients x 20 calls; a slow session does not hold up another
  shutdown   SIGTERM with a call running: exit 0, no sandbox process left

Meson runs it with the test venv's Python (tests/meson.build,
test_venv_python); it exits 77 (skipped) when that venv is missing.
"""
import os
import sys

try:
    import boto3  # noqa: F401
except ImportError:
    print('SKIP: boto3 is not installed; run scripts/setup')
    sys.exit(77)

import datetime
import http.client
import json
import re
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import unittest
import uuid
from unittest import mock

import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import botocore.exceptions

CODEINTERP = None
REGION = 'us-east-1'
KEYS = {'AKIASERVETEST0000001': 'c2VydmUtdGVzdC1zZWNyZXQ/+Kx9',
        'AKIASERVETEST0000002': 'second-secret'}
KEY1, KEY2 = list(KEYS)
IDENT = 'aws.codeinterpreter.v1'
ALL_TOOLS = ['executeCode', 'executeCommand', 'startCommandExecution', 'getTask', 'stopTask',
             'writeFiles', 'readFiles', 'listFiles', 'removeFiles']


class Server:
    """One `codeinterp serve` on 127.0.0.1, started and stopped by a test."""

    def __init__(self, *extra, keys=True):
        self.dir = tempfile.TemporaryDirectory(prefix='serve-test-')
        self.keys = os.path.join(self.dir.name, 'keys')
        with open(self.keys, 'w') as f:
            for k, s in KEYS.items():
                f.write(f'{k} {s}\n')
        os.chmod(self.keys, 0o600)
        self.log = open(os.path.join(self.dir.name, 'stderr'), 'w+b')
        args = [CODEINTERP, 'serve', '--port', '0']
        args += ['--keys', self.keys] if keys else ['--insecure-no-auth']
        self.proc = subprocess.Popen(args + list(extra), stdout=subprocess.DEVNULL,
                                     stderr=self.log)
        deadline = time.time() + 20
        self.port = None
        while time.time() < deadline and self.port is None:
            m = re.search(rb'listening on (https?)://127\.0\.0\.1:(\d+)', self.stderr())
            if m:
                self.scheme = m.group(1).decode()
                self.port = int(m.group(2))
            elif self.proc.poll() is not None:
                raise AssertionError('server exited: ' + self.stderr().decode(errors='replace'))
            else:
                time.sleep(0.05)
        assert self.port, 'server did not say where it listens'
        self.url = f'{self.scheme}://127.0.0.1:{self.port}'
        self.verify = None

    def stderr(self):
        self.log.flush()
        with open(self.log.name, 'rb') as f:
            return f.read()

    def logged(self, needle, timeout=10):
        """stderr once it holds `needle`, or after `timeout` s: a request's
        access log line is written once its answer has gone out, so it may
        trail the client."""
        deadline = time.time() + timeout
        while needle not in self.stderr() and time.time() < deadline:
            time.sleep(0.05)
        return self.stderr()

    def client(self, key=KEY1, secret=None, retries=1, read_timeout=120):
        if key not in KEYS and secret is None:
            raise ValueError(key)
        cfg = botocore.config.Config(read_timeout=read_timeout,
                                     retries={'total_max_attempts': retries})
        return boto3.client('bedrock-agentcore', endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id=key, aws_secret_access_key=secret or KEYS[key],
                            config=cfg, verify=self.verify)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError('server did not stop: ' + self.stderr().decode()[-2000:])
        self.log.close()
        self.dir.cleanup()
        return self.proc.returncode


def start(c, **kw):
    kw.setdefault('codeInterpreterIdentifier', IDENT)
    return c.start_code_interpreter_session(**kw)['sessionId']


def invoke(c, sid, name, args=None, ident=IDENT):
    resp = c.invoke_code_interpreter(codeInterpreterIdentifier=ident, sessionId=sid,
                                     name=name, arguments=args or {})
    return [ev['result'] for ev in resp['stream']]


def one(c, sid, name, args=None):
    results = invoke(c, sid, name, args)
    assert len(results) == 1, results
    return results[0]


def signed(server, method, path, body=b'', headers=None, key=KEY1):
    """A request signed by botocore's SigV4Auth, as (method, path, headers, body)."""
    req = botocore.awsrequest.AWSRequest(method=method, url=server.url + path, data=body,
                                         headers=dict(headers or {}))
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, KEYS[key]),
                            'bedrock-agentcore', REGION).add_auth(req)
    p = req.prepare()
    return p.method, path, dict(p.headers.items()), p.body or b''


def send(server, method, path, headers, body=b'', timeout=60):
    conn = http.client.HTTPConnection('127.0.0.1', server.port, timeout=timeout)
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data


def raw(server, data, timeout=10):
    """Bytes in, whatever comes back before the server closes or 1 s of quiet."""
    s = socket.create_connection(('127.0.0.1', server.port), timeout=timeout)
    s.sendall(data)
    s.settimeout(1.0)
    out = b''
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except socket.timeout:
        pass
    s.close()
    return out


def sandbox_processes(marker):
    """Pids whose command line holds marker."""
    pids = []
    for d in os.listdir('/proc'):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open(f'/proc/{d}/cmdline', 'rb') as f:
                if marker.encode() in f.read():
                    pids.append(int(d))
        except OSError:
            pass
    return pids


def leftovers(sid):
    """The session's folders in the state dir and its cgroups that still exist."""
    found = []
    state = os.path.join(os.environ.get('CODEINTERP_STATE_DIR', '/nonexistent'), 'sessions')
    if os.path.isdir(state):
        found += [os.path.join(state, n) for n in os.listdir(state) if sid in n]
    for root, dirs, _ in os.walk('/sys/fs/cgroup'):
        found += [os.path.join(root, d) for d in dirs if sid in d]
        if root.count('/') > 5:
            dirs[:] = []
    return found


def wait_for(pred, timeout=10.0, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


class ServerCase(unittest.TestCase):
    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.server = Server(*cls.server_args)

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        assert rc == 0, f'server exited {rc}'


# ----------------------------------------------------------------- boto3 --

class Boto3(ServerCase):
    server_args = ('--identifier', 'my interp/x')

    def test_session_lifecycle(self):
        c = self.server.client()
        r = c.start_code_interpreter_session(codeInterpreterIdentifier=IDENT, name='lifecycle',
                                             sessionTimeoutSeconds=120)
        sid = r['sessionId']
        self.assertRegex(sid, r'^[0-9a-zA-Z]{1,40}$')
        self.assertEqual(r['codeInterpreterIdentifier'], IDENT)
        self.assertIsInstance(r['createdAt'], datetime.datetime)
        g = c.get_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)
        self.assertEqual((g['status'], g['name'], g['sessionTimeoutSeconds']),
                         ('READY', 'lifecycle', 120))
        self.assertTrue(g['ResponseMetadata']['RequestId'])
        s = c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)
        self.assertEqual(s['sessionId'], sid)
        self.assertIsInstance(s['lastUpdatedAt'], datetime.datetime)
        g = c.get_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)
        self.assertEqual(g['status'], 'TERMINATED')
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            invoke(c, sid, 'executeCode', {'code': '1'})
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)

    def test_every_tool(self):
        c = self.server.client()
        sid = start(c)
        try:
            r = one(c, sid, 'executeCode', {'code': 'x = 6 * 7\nprint(x)', 'language': 'python'})
            self.assertEqual(r['content'][0], {'type': 'text', 'text': '42\n'})
            self.assertEqual((r['isError'], r['structuredContent']['exitCode']), (False, 0))
            r = one(c, sid, 'executeCode', {'code': 'print(x + 1)'})
            self.assertEqual(r['structuredContent']['stdout'], '43\n')
            r = one(c, sid, 'executeCode', {'code': 'print(x)', 'clearContext': True})
            self.assertTrue(r['isError'])
            r = one(c, sid, 'executeCode', {'code': 'import matplotlib.pyplot as plt\n'
                                            'plt.plot([1, 2, 3])\nplt.show()'})
            images = [b for b in r['content'] if b['type'] == 'image']
            self.assertEqual(len(images), 1, r['content'])
            self.assertEqual(images[0]['mimeType'], 'image/png')
            self.assertTrue(images[0]['data'].startswith(b'\x89PNG'))   # blob: bytes
            r = one(c, sid, 'executeCode', {'code': 'console.log(2 + 3)',
                                            'language': 'javascript'})
            self.assertEqual(r['structuredContent']['stdout'], '5\n')
            r = one(c, sid, 'executeCommand', {'command': 'echo hi; echo err >&2; exit 3'})
            self.assertEqual((r['structuredContent']['stdout'], r['structuredContent']['stderr'],
                              r['structuredContent']['exitCode']), ('hi\n', 'err\n', 3))
            r = one(c, sid, 'writeFiles', {'content': [{'path': 'a.txt', 'text': 'hello'},
                                                       {'path': 'd/b.bin',
                                                        'blob': b'\x00\xff\x01'}]})
            self.assertFalse(r['isError'])
            r = one(c, sid, 'readFiles', {'paths': ['a.txt', 'd/b.bin']})
            res = [b['resource'] for b in r['content']]
            self.assertEqual([b['type'] for b in r['content']], ['resource', 'resource'])
            self.assertEqual((res[0]['type'], res[0]['text']), ('text', 'hello'))
            self.assertEqual((res[1]['type'], res[1]['blob']), ('blob', b'\x00\xff\x01'))
            r = one(c, sid, 'listFiles', {'directoryPath': ''})
            names = {b['name']: b for b in r['content']}
            self.assertEqual(names['a.txt']['type'], 'resource_link')
            self.assertEqual(names['a.txt']['size'], 5)
            r = one(c, sid, 'removeFiles', {'paths': ['a.txt']})
            self.assertFalse(r['isError'])
            r = one(c, sid, 'readFiles', {'paths': ['a.txt']})
            self.assertTrue(r['isError'])
            r = one(c, sid, 'startCommandExecution', {'command': 'echo started; sleep 30'})
            task = r['structuredContent']['taskId']
            self.assertEqual(r['structuredContent']['taskStatus'], 'working')
            self.assertTrue(wait_for(lambda: 'started' in one(
                c, sid, 'getTask', {'taskId': task})['structuredContent'].get('stdout', '')))
            r = one(c, sid, 'stopTask', {'taskId': task})
            self.assertEqual(r['structuredContent']['taskStatus'], 'canceled')
            r = one(c, sid, 'getTask', {'taskId': task})
            self.assertEqual(r['structuredContent']['taskStatus'], 'canceled')
            r = one(c, sid, 'noSuchTool', {})
            self.assertTrue(r['isError'])
        finally:
            c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)

    def test_big_result_split_over_events(self):
        c = self.server.client()
        sid = start(c)
        try:
            # readFiles reads 16 MiB at most a call, but a control
            # character is 6 bytes of JSON (\u0001): 2 x 3 MiB of them are
            # 36 MiB of answer, more than one 24 MiB event carries
            text = '\x01' * (3 << 20)
            one(c, sid, 'writeFiles', {'content': [{'path': 'a.txt', 'text': text},
                                                   {'path': 'b.txt', 'text': text}]})
            results = invoke(c, sid, 'readFiles', {'paths': ['a.txt', 'b.txt']})
            self.assertEqual(len(results), 2)
            got = [b['resource']['text'] for r in results for b in r['content']]
            self.assertEqual(got, [text, text])
        finally:
            c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)

    def test_list_pagination_and_filter(self):
        c = self.server.client(key=KEY2)
        sids = [start(c, name=f'l{i}') for i in range(5)]
        c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sids[0])
        seen, token, pages = [], None, 0
        while True:
            kw = {'codeInterpreterIdentifier': IDENT, 'maxResults': 2}
            if token:
                kw['nextToken'] = token
            r = c.list_code_interpreter_sessions(**kw)
            pages += 1
            self.assertLessEqual(len(r['items']), 2)
            seen += [i['sessionId'] for i in r['items']]
            token = r.get('nextToken')
            if not token:
                break
        self.assertEqual(seen, sids)
        self.assertEqual(pages, 3)
        ready = c.list_code_interpreter_sessions(codeInterpreterIdentifier=IDENT,
                                                 status='READY')['items']
        self.assertEqual([i['sessionId'] for i in ready], sids[1:])
        ended = c.list_code_interpreter_sessions(codeInterpreterIdentifier=IDENT,
                                                 status='TERMINATED')['items']
        self.assertEqual([(i['sessionId'], i['status']) for i in ended],
                         [(sids[0], 'TERMINATED')])
        for sid in sids[1:]:
            c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)

    def test_identifiers_and_validation(self):
        c = self.server.client()
        sid = start(c, codeInterpreterIdentifier='my interp/x')
        r = invoke(c, sid, 'executeCode', {'code': 'print(1)'}, ident='my interp/x')
        self.assertEqual(r[0]['structuredContent']['stdout'], '1\n')
        # a session belongs to its interpreter
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            invoke(c, sid, 'executeCode', {'code': 'print(1)'})
        c.stop_code_interpreter_session(codeInterpreterIdentifier='my interp/x', sessionId=sid)
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            start(c, codeInterpreterIdentifier='nope')
        with self.assertRaises(botocore.exceptions.ParamValidationError):
            start(c, sessionTimeoutSeconds=0)   # refused by boto3 itself
        token = uuid.uuid4().hex + 'abcdef'
        a = start(c, clientToken=token, sessionTimeoutSeconds=60)
        self.assertEqual(start(c, clientToken=token, sessionTimeoutSeconds=60), a)
        with self.assertRaises(c.exceptions.ValidationException) as e:
            start(c, clientToken=token, sessionTimeoutSeconds=61)
        self.assertEqual(e.exception.response['reason'], 'IdempotentParameterMismatchException')
        c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=a)

    def test_validation_reason_and_field_list(self):
        c = self.server.client()

        def field_error(call, field, **kw):
            with self.assertRaises(c.exceptions.ValidationException) as e:
                call(codeInterpreterIdentifier=IDENT, **kw)
            r = e.exception.response
            self.assertEqual(r['reason'], 'FieldValidationFailed', r)
            self.assertEqual([f['name'] for f in r['fieldList']], [field], r)
            self.assertTrue(r['fieldList'][0]['message'], r)

        field_error(c.start_code_interpreter_session, 'sessionTimeoutSeconds',
                    sessionTimeoutSeconds=28801)
        field_error(c.list_code_interpreter_sessions, 'maxResults', maxResults=101)
        field_error(c.list_code_interpreter_sessions, 'nextToken', nextToken='not-a-token')
        for bad in ('abc-def', 'a' * 41, 'x y'):
            field_error(c.get_code_interpreter_session, 'sessionId', sessionId=bad)
            field_error(c.stop_code_interpreter_session, 'sessionId', sessionId=bad)
            field_error(c.invoke_code_interpreter, 'sessionId', sessionId=bad,
                        name='executeCode', arguments={'code': 'print(1)'})
        # boto3 refuses these itself (the model's minimums); a raw request
        # gets the same answer from the server
        for method, path, body, field in (
                ('PUT', 'sessions/start', {'sessionTimeoutSeconds': 0}, 'sessionTimeoutSeconds'),
                ('PUT', 'sessions/start', {'sessionTimeoutSeconds': 28801},
                 'sessionTimeoutSeconds'),
                ('POST', 'sessions/list', {'maxResults': 0}, 'maxResults'),
                ('POST', 'sessions/list', {'nextToken': ''}, 'nextToken'),
                ('PUT', 'sessions/start', {'clientToken': 'short'}, 'clientToken')):
            m, p, h, b = signed(self.server, method, f'/code-interpreters/{IDENT}/{path}',
                                json.dumps(body).encode(), {'Content-Type': 'application/json'})
            status, headers, data = send(self.server, m, p, h, b)
            self.assertEqual((status, headers['x-amzn-errortype']), (400, 'ValidationException'))
            err = json.loads(data)
            self.assertEqual(err['reason'], 'FieldValidationFailed', err)
            self.assertEqual(err['fieldList'][0]['name'], field, err)
        # the server's own ids have the model's form
        sid = start(c)
        self.assertRegex(sid, r'^[0-9a-zA-Z]{1,40}$')
        c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)

    def test_conflicts(self):
        """ConflictException: a stop or invoke racing a stop of the same session, a start
        racing a start with the same clientToken."""
        c = self.server.client()
        outcomes = []
        for _ in range(4):
            sid = start(c)
            busy = threading.Thread(target=lambda: invoke(
                self.server.client(), sid, 'executeCommand', {'command': 'sleep 30'}))
            busy.start()
            time.sleep(0.3)
            barrier = threading.Barrier(3)
            got = []

            def race(kind):
                cl = self.server.client()
                barrier.wait()
                try:
                    if kind == 'stop':
                        cl.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT,
                                                         sessionId=sid)
                    else:
                        invoke(cl, sid, 'executeCode', {'code': 'print(1)'})
                    got.append((kind, 'ok'))
                except botocore.exceptions.ClientError as e:
                    got.append((kind, e.response['Error']['Code']))

            racers = [threading.Thread(target=race, args=(k,)) for k in ('stop', 'stop', 'invoke')]
            for t in racers:
                t.start()
            for t in racers:
                t.join(60)
            busy.join(60)
            stops = sorted(o for k, o in got if k == 'stop')
            self.assertIn(stops, (['ConflictException', 'ok'], ['ResourceNotFoundException', 'ok']),
                          got)
            self.assertIn([o for k, o in got if k == 'invoke'][0],
                          ('ok', 'ConflictException', 'ResourceNotFoundException'), got)
            outcomes += [o for _, o in got]
            g = c.get_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)
            self.assertEqual(g['status'], 'TERMINATED')
            if 'ConflictException' in outcomes:
                break
        self.assertIn('ConflictException', outcomes)
        print(f'\nstop races: {outcomes}', file=sys.stderr)
        # the same clientToken from two starts at once makes one session
        for _ in range(3):
            token = uuid.uuid4().hex + 'conflict'
            barrier = threading.Barrier(2)
            got = []

            def starter():
                cl = self.server.client()
                barrier.wait()
                try:
                    got.append(start(cl, clientToken=token))
                except cl.exceptions.ConflictException:
                    got.append('conflict')

            ts = [threading.Thread(target=starter) for _ in range(2)]
            for t in ts:
                t.start()
            for t in ts:
                t.join(60)
            sids = {x for x in got if x != 'conflict'}
            self.assertEqual(len(sids), 1, got)
            c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sids.pop())

    def test_stop_client_token(self):
        """A stop repeated with its clientToken (a retry) is ignored without an error, as
        the model says; another stop of the ended session is ResourceNotFoundException."""
        c = self.server.client()
        sid = start(c)
        token = uuid.uuid4().hex + '-stop'
        first = c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid,
                                                clientToken=token)
        again = c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid,
                                                clientToken=token)
        self.assertEqual((again['sessionId'], again['lastUpdatedAt']),
                         (sid, first['lastUpdatedAt']))
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)
        self.assertEqual(c.get_code_interpreter_session(codeInterpreterIdentifier=IDENT,
                                                        sessionId=sid)['status'], 'TERMINATED')


class Streaming(unittest.TestCase):
    """--stream-output: output events as the code writes, then the whole result."""

    def test_stream_output(self):
        server = Server('--stream-output', '--grace', '1')
        try:
            c = server.client()
            sid = start(c)
            t0 = time.time()
            resp = c.invoke_code_interpreter(
                codeInterpreterIdentifier=IDENT, sessionId=sid, name='executeCommand',
                arguments={'command': "echo a; sleep 1; echo b >&2; printf '\\303'; sleep 0.3; "
                                      "printf '\\251 done\\n'"})
            events = []
            for ev in resp['stream']:
                events.append((time.time() - t0, ev['result']))
            self.assertLess(events[0][0], 0.9, events)       # before the command ended
            self.assertEqual(events[0][1]['content'][0]['text'], 'a\n')
            final = events[-1][1]
            self.assertEqual(final['structuredContent']['stdout'], 'a\n\u00e9 done\n')
            self.assertEqual(final['structuredContent']['exitCode'], 0)
            parts = [e['structuredContent'] for _, e in events[:-1]]
            self.assertEqual(''.join(p.get('stdout', '') for p in parts), 'a\n\u00e9 done\n')
            self.assertEqual(''.join(p.get('stderr', '') for p in parts), 'b\n')
            # the other tools answer as without streaming
            self.assertEqual(len(invoke(c, sid, 'listFiles', {})), 1)
            # a client that leaves a streamed call cancels it
            marker = 'stream-marker-' + uuid.uuid4().hex[:8]
            body = json.dumps({'name': 'executeCommand', 'arguments': {
                'command': f'echo go; sleep 60; echo {marker}'}}).encode()
            m, p, h, b = signed(server, 'POST', '/code-interpreters/%s/tools/invoke' % IDENT,
                                body, {'Content-Type': 'application/json',
                                       'x-amzn-code-interpreter-session-id': sid})
            h['Content-Length'] = str(len(b))
            h['Host'] = '127.0.0.1:%d' % server.port
            sock = socket.create_connection(('127.0.0.1', server.port))
            sock.sendall(('%s %s HTTP/1.1\r\n' % (m, p)).encode() +
                         b''.join(f'{k}: {v}\r\n'.encode() for k, v in h.items()) + b'\r\n' + b)
            sock.settimeout(10)
            self.assertTrue(sock.recv(65536).startswith(b'HTTP/1.1 200'))
            self.assertTrue(wait_for(lambda: sandbox_processes(marker), 10))
            sock.close()
            self.assertTrue(wait_for(lambda: not sandbox_processes(marker), 10),
                            'the streamed call went on after its client left')
            r = invoke(c, sid, 'executeCode', {'code': 'print(8)'})
            self.assertEqual(r[-1]['structuredContent']['stdout'], '8\n')
            # SIGTERM with a streamed call running
            outcome = []
            t = threading.Thread(target=lambda: outcome.append(invoke(
                server.client(read_timeout=60), sid, 'executeCommand',
                {'command': f'sleep 120; echo {marker}'})))
            t.daemon = True
            t.start()
            self.assertTrue(wait_for(lambda: sandbox_processes(marker), 10))
            server.proc.send_signal(signal.SIGTERM)
            self.assertEqual(server.proc.wait(30), 0, server.stderr().decode(errors='replace'))
            self.assertTrue(wait_for(lambda: not sandbox_processes(marker), 5))
            self.assertEqual(leftovers(sid), [])
        finally:
            server.stop()


# ------------------------------------------------------------------- sdk --

SDK_SCRIPT = r'''
import json, sys
from bedrock_agentcore.tools.code_interpreter_client import CodeInterpreter
out = {}
ci = CodeInterpreter('us-east-1')
out['session'] = ci.start()
def results(resp):
    return [ev['result'] for ev in resp['stream']]
out['code'] = results(ci.execute_code('x = 20\nprint(x + 1)'))[0]['structuredContent']['stdout']
out['command'] = results(ci.execute_command('echo from-shell'))[0]['structuredContent']['stdout']
ci.upload_file('data/in.txt', 'uploaded text')
ci.upload_file('bin.dat', b'\xff\xfe\x00')
out['download_text'] = ci.download_file('data/in.txt')
out['download_bin'] = list(ci.download_file('bin.dat'))
try:
    ci.download_file('missing.txt')
    out['missing'] = 'no error'
except FileNotFoundError:
    out['missing'] = 'FileNotFoundError'
out['list'] = sorted(b['name'] for b in results(ci.invoke('listFiles', {'directoryPath': ''}))[0]['content'])
ci.clear_context()
out['after_clear'] = results(ci.execute_code('print(x)'))[0]['isError']
out['stop'] = ci.stop()
print(json.dumps(out))
'''


class Sdk(ServerCase):
    def test_code_interpreter_client(self):
        env = dict(os.environ, BEDROCK_AGENTCORE_DP_ENDPOINT=self.server.url,
                   AWS_ACCESS_KEY_ID=KEY1, AWS_SECRET_ACCESS_KEY=KEYS[KEY1],
                   AWS_DEFAULT_REGION=REGION, AWS_EC2_METADATA_DISABLED='true')
        env.pop('AWS_PROFILE', None)
        p = subprocess.run([sys.executable, '-c', SDK_SCRIPT], env=env, capture_output=True,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr.decode()[-3000:])
        out = json.loads(p.stdout.decode().strip().splitlines()[-1])
        self.assertEqual(out['code'], '21\n')
        self.assertEqual(out['command'], 'from-shell\n')
        self.assertEqual(out['download_text'], 'uploaded text')
        self.assertEqual(out['download_bin'], [0xff, 0xfe, 0x00])
        self.assertEqual(out['missing'], 'FileNotFoundError')
        self.assertEqual(out['list'], ['bin.dat', 'data'])
        self.assertTrue(out['after_clear'])
        self.assertTrue(out['stop'])
        c = self.server.client()
        g = c.get_code_interpreter_session(codeInterpreterIdentifier=IDENT,
                                           sessionId=out['session'])
        self.assertEqual(g['status'], 'TERMINATED')


# ------------------------------------------------------------------ auth --

class Auth(ServerCase):
    server_args = ('--max-sessions-per-key', '2', '--max-sessions', '3')

    def test_wrong_secret_and_unknown_key(self):
        for c in (self.server.client(secret='wrong'),
                  self.server.client(key='AKIANOTAKEY000000000', secret='x')):
            with self.assertRaises(c.exceptions.AccessDeniedException):
                start(c)
            with self.assertRaises(c.exceptions.AccessDeniedException):
                c.list_code_interpreter_sessions(codeInterpreterIdentifier=IDENT)
        self.assertIn(b'error=AccessDeniedException',
                      self.server.logged(b'error=AccessDeniedException'))

    def test_replay_after_skew_window(self):
        c = self.server.client()
        past = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - \
            datetime.timedelta(minutes=6)
        with mock.patch('botocore.auth.get_current_datetime', lambda *a, **k: past):
            with self.assertRaises(c.exceptions.AccessDeniedException) as e:
                c.list_code_interpreter_sessions(codeInterpreterIdentifier=IDENT)
        self.assertIn('clock-skew', str(e.exception))

    def test_other_keys_session(self):
        c1, c2 = self.server.client(KEY1), self.server.client(KEY2)
        sid = start(c1)
        try:
            with self.assertRaises(c2.exceptions.ResourceNotFoundException):
                c2.get_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)
            with self.assertRaises(c2.exceptions.ResourceNotFoundException):
                invoke(c2, sid, 'executeCode', {'code': 'print(1)'})
            with self.assertRaises(c2.exceptions.ResourceNotFoundException):
                c2.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)
            self.assertNotIn(sid, [i['sessionId'] for i in c2.list_code_interpreter_sessions(
                codeInterpreterIdentifier=IDENT)['items']])
            self.assertEqual(one(c1, sid, 'executeCode', {'code': 'print(1)'})['isError'], False)
        finally:
            c1.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)

    def test_quotas(self):
        c1, c2 = self.server.client(KEY1), self.server.client(KEY2)
        a = [start(c1), start(c1)]
        with self.assertRaises(c1.exceptions.ServiceQuotaExceededException):
            start(c1)
        b = start(c2)
        with self.assertRaises(c2.exceptions.ServiceQuotaExceededException):
            start(c2)           # the server's bound: 3
        c1.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=a[0])
        a[0] = start(c1)
        for sid in a:
            c1.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)
        c2.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=b)

    def test_expired_session(self):
        c = self.server.client()
        sid = start(c, sessionTimeoutSeconds=2)
        self.assertEqual(one(c, sid, 'executeCode', {'code': 'print(1)'})['isError'], False)
        time.sleep(2.3)
        g = c.get_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)
        self.assertEqual(g['status'], 'TERMINATED')
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            invoke(c, sid, 'executeCode', {'code': 'print(1)'})
        # and it no longer counts against the quota
        x, y = start(c), start(c)
        for s in (x, y):
            c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=s)

    def test_sighup_reloads_keys(self):
        new_key, new_secret = 'AKIASERVETESTNEW0003', 'a-new-secret'
        c_new = self.server.client(key=new_key, secret=new_secret)
        with self.assertRaises(c_new.exceptions.AccessDeniedException):
            c_new.list_code_interpreter_sessions(codeInterpreterIdentifier=IDENT)
        with open(self.server.keys, 'w') as f:
            f.write(f'{KEY1} {KEYS[KEY1]}\n{new_key} {new_secret}\n')
        self.server.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: b'2 keys loaded' in self.server.stderr(), 5))
        c_new.list_code_interpreter_sessions(codeInterpreterIdentifier=IDENT)
        c2 = self.server.client(KEY2)
        with self.assertRaises(c2.exceptions.AccessDeniedException):
            c2.list_code_interpreter_sessions(codeInterpreterIdentifier=IDENT)
        # a refused file keeps the keys in use
        os.chmod(self.server.keys, 0o644)
        self.server.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: b'keeping the old keys' in self.server.stderr(), 5))
        c_new.list_code_interpreter_sessions(codeInterpreterIdentifier=IDENT)
        with open(self.server.keys, 'w') as f:
            for k, v in KEYS.items():
                f.write(f'{k} {v}\n')
        os.chmod(self.server.keys, 0o600)
        self.server.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for(
            lambda: self.server.stderr().count(b'2 keys loaded') == 2, 5))
        c2.list_code_interpreter_sessions(codeInterpreterIdentifier=IDENT)

    def test_tls(self):
        with tempfile.TemporaryDirectory() as d:
            cert, key = os.path.join(d, 'cert.pem'), os.path.join(d, 'key.pem')
            subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
                            '-keyout', key, '-out', cert, '-days', '1', '-subj',
                            '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
                           check=True, capture_output=True)
            server = Server('--tls-cert', cert, '--tls-key', key)
            try:
                self.assertTrue(server.url.startswith('https://'))
                server.verify = cert
                c = server.client()
                sid = start(c)
                self.assertEqual(one(c, sid, 'executeCode', {'code': 'print(3)'})
                                 ['structuredContent']['stdout'], '3\n')
                c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)
            finally:
                self.assertEqual(server.stop(), 0)

    def test_audit_names_the_key(self):
        with tempfile.TemporaryDirectory() as d:
            trail = os.path.join(d, 'audit.jsonl')
            server = Server('--audit-log', trail)
            try:
                c = server.client(KEY2)
                sid = start(c)
                one(c, sid, 'executeCode', {'code': 'print(1)'})
                one(c, sid, 'writeFiles', {'content': [{'path': 'a', 'text': 'b'}]})
                c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)
            finally:
                self.assertEqual(server.stop(), 0)
            with open(trail) as f:
                records = [json.loads(line) for line in f]
            mine = [r for r in records if r['session'] == sid]
            self.assertEqual([r['op'] for r in mine],
                             ['session_create', 'execute_start', 'execute_end', 'upload',
                              'session_destroy'])
            self.assertEqual({r.get('principal') for r in mine}, {KEY2})
            p = subprocess.run([CODEINTERP, 'audit-verify', trail], capture_output=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_throttling(self):
        """--max-calls-per-key: a key with that many requests in progress gets 429
        ThrottlingException at once, before its body is read; other keys go on."""
        server = Server('--max-calls-per-key', '2')
        try:
            no_retry = botocore.config.Config(retries={'max_attempts': 1}, read_timeout=60)
            c = boto3.client('bedrock-agentcore', endpoint_url=server.url, region_name=REGION,
                             aws_access_key_id=KEY1, aws_secret_access_key=KEYS[KEY1],
                             config=no_retry)
            sids = [start(c), start(c)]
            marker = 'throttle-' + uuid.uuid4().hex[:8]
            done = []
            busy = [threading.Thread(target=lambda sid=sid: done.append(one(
                server.client(read_timeout=60), sid, 'executeCommand',
                {'command': f'sleep 2; echo {marker}'}))) for sid in sids]
            for t in busy:
                t.start()
            self.assertTrue(wait_for(lambda: len(sandbox_processes(marker)) >= 2, 10))
            with self.assertRaises(c.exceptions.ThrottlingException) as e:
                c.list_code_interpreter_sessions(codeInterpreterIdentifier=IDENT)
            self.assertEqual(e.exception.response['ResponseMetadata']['HTTPStatusCode'], 429)
            self.assertIn('retry', e.exception.response['Error']['Message'])
            # refused from the headers: a 50 MB upload announced, never sent
            m, p, h, _ = signed(server, 'POST', f'/code-interpreters/{IDENT}/tools/invoke',
                                b'', {'Content-Type': 'application/json',
                                      'x-amzn-code-interpreter-session-id': sids[0]})
            h['Content-Length'] = str(50 << 20)
            h['Host'] = f'127.0.0.1:{server.port}'
            head = f'{m} {p} HTTP/1.1\r\n' + ''.join(f'{k}: {v}\r\n' for k, v in h.items())
            t0 = time.time()
            answer = raw(server, (head + '\r\n').encode())
            self.assertTrue(answer.startswith(b'HTTP/1.1 429'), answer[:200])
            self.assertIn(b'x-amzn-errortype: throttlingexception', answer.lower())
            self.assertLess(time.time() - t0, 1.9)
            # another key is not held up
            server.client(KEY2).list_code_interpreter_sessions(codeInterpreterIdentifier=IDENT)
            for t in busy:
                t.join(30)
            self.assertEqual([r['structuredContent']['stdout'] for r in done], [marker + '\n'] * 2)
            # and the slots came back
            c.list_code_interpreter_sessions(codeInterpreterIdentifier=IDENT)
            for sid in sids:
                c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)
            self.assertIn(b'error=ThrottlingException', server.logged(b'error=ThrottlingException'))
        finally:
            self.assertEqual(server.stop(), 0)

    def test_refusals_are_audited(self):
        with tempfile.TemporaryDirectory() as d:
            trail = os.path.join(d, 'audit.jsonl')
            server = Server('--audit-log', trail)
            try:
                bad = server.client(secret='wrong')
                with self.assertRaises(bad.exceptions.AccessDeniedException):
                    start(bad)
                unknown = server.client(key='AKIANOTAKEY000000000', secret='x')
                with self.assertRaises(unknown.exceptions.AccessDeniedException):
                    unknown.list_code_interpreter_sessions(codeInterpreterIdentifier=IDENT)
                status, _, _ = send(server, 'GET', f'/code-interpreters/{IDENT}/sessions/get'
                                    '?sessionId=abc', {})
                self.assertEqual(status, 403)
                # an accepted request leaves no access_denied record
                good = server.client()
                good.list_code_interpreter_sessions(codeInterpreterIdentifier=IDENT)
            finally:
                self.assertEqual(server.stop(), 0)
            with open(trail) as f:
                records = [json.loads(line) for line in f]
            denied = [r for r in records if r['op'] == 'access_denied']
            self.assertEqual([(r['session'], r.get('principal'), r['params']['reason'])
                              for r in denied],
                             [('', KEY1, 'bad_signature'),
                              ('', 'AKIANOTAKEY000000000', 'unknown_key'),
                              ('', None, 'missing_auth')], denied)
            self.assertEqual([r.get('message') for r in denied],
                             [f'PUT /code-interpreters/{IDENT}/sessions/start',
                              f'POST /code-interpreters/{IDENT}/sessions/list',
                              f'GET /code-interpreters/{IDENT}/sessions/get'])
            p = subprocess.run([CODEINTERP, 'audit-verify', trail], capture_output=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_config_file(self):
        with tempfile.TemporaryDirectory() as d:
            conf = os.path.join(d, 'serve.conf')
            with open(conf, 'w') as f:
                os.mkdir(os.path.join(d, 'bare'))
                f.write('# the server\nmax-sessions-per-key 1\nquiet\n\n'
                        'identifier tiny timeout=1 memory=256\nidentifier other\n'
                        f'identifier bare runtime-dir={d}/bare\n')
            # the command line wins over the file
            server = Server('--config', conf, '--max-sessions-per-key', '2')
            try:
                c = server.client()
                tiny = start(c, codeInterpreterIdentifier='tiny')
                t0 = time.time()
                r = invoke(c, tiny, 'executeCode', {'code': 'import time; time.sleep(5)'},
                           ident='tiny')[0]
                self.assertTrue(r['isError'])
                self.assertIn('time', r['content'][0]['text'].lower())
                self.assertLess(time.time() - t0, 4)
                other = start(c, codeInterpreterIdentifier='other')
                with self.assertRaises(c.exceptions.ServiceQuotaExceededException):
                    start(c)
                r = invoke(c, other, 'executeCode', {'code': 'print(5)'}, ident='other')[0]
                self.assertEqual(r['structuredContent']['stdout'], '5\n')
                c.stop_code_interpreter_session(codeInterpreterIdentifier='tiny', sessionId=tiny)
                c.stop_code_interpreter_session(codeInterpreterIdentifier='other',
                                                sessionId=other)
                # an identifier with its own language runtimes: an empty one
                # has no Python virtualenv (named in the error), and plain
                # JavaScript runs without its libraries
                bare = start(c, codeInterpreterIdentifier='bare')
                r = invoke(c, bare, 'executeCode', {'code': 'print(1)'}, ident='bare')[0]
                self.assertTrue(r['isError'])
                self.assertIn(f'{d}/bare/python', r['content'][0]['text'])
                r = invoke(c, bare, 'executeCode',
                           {'code': 'console.log(6 * 7)', 'language': 'javascript'},
                           ident='bare')[0]
                self.assertEqual(r['structuredContent']['stdout'], '42\n')
                c.stop_code_interpreter_session(codeInterpreterIdentifier='bare', sessionId=bare)
                self.assertNotIn(b'tools/invoke', server.stderr())   # quiet
            finally:
                self.assertEqual(server.stop(), 0)
            with open(conf, 'a') as f:
                f.write('identifier bad colour=blue\n')
            p = subprocess.run([CODEINTERP, 'serve', '--config', conf, '--insecure-no-auth'],
                               capture_output=True, timeout=20)
            self.assertEqual(p.returncode, 2)
            self.assertIn(b'serve.conf:8', p.stderr)

    def test_refused_setups(self):
        def run(*args, keys_mode=0o600):
            with tempfile.TemporaryDirectory() as d:
                keys = os.path.join(d, 'keys')
                with open(keys, 'w') as f:
                    f.write(f'{KEY1} secret\n')
                os.chmod(keys, keys_mode)
                args = [a.replace('KEYS', keys) for a in args]
                return subprocess.run([CODEINTERP, 'serve', '--port', '0', *args],
                                      capture_output=True, timeout=20)
        p = run('--insecure-no-auth', '--listen', '0.0.0.0')
        self.assertEqual(p.returncode, 2)
        self.assertIn(b'loopback', p.stderr)
        p = run('--keys', 'KEYS', '--listen', '0.0.0.0')
        self.assertEqual(p.returncode, 2)
        self.assertIn(b'TLS', p.stderr)
        p = run('--keys', 'KEYS', keys_mode=0o644)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b'0600', p.stderr)
        p = run()
        self.assertEqual(p.returncode, 2)


# ---------------------------------------------------------------- robust --

class Robust(ServerCase):
    def healthy(self):
        status, _, body = send(self.server, 'GET', '/healthz', {})
        self.assertEqual((status, body), (200, b'ok\n'))

    def test_malformed_json(self):
        for path, method in (('/code-interpreters/%s/sessions/start' % IDENT, 'PUT'),
                             ('/code-interpreters/%s/sessions/list' % IDENT, 'POST')):
            m, p, h, b = signed(self.server, method, path, b'{"name": ',
                                {'Content-Type': 'application/json'})
            status, headers, body = send(self.server, m, p, h, b)
            self.assertEqual(status, 400)
            self.assertEqual(headers['x-amzn-errortype'], 'ValidationException')
            self.assertEqual(json.loads(body)['reason'], 'CannotParse')
        c = self.server.client()
        sid = start(c)
        path = '/code-interpreters/%s/tools/invoke' % IDENT
        for body in (b'[1, 2', b'{"name": 3}', b'{"arguments": {}}'):
            m, p, h, b = signed(self.server, 'POST', path, body,
                                {'Content-Type': 'application/json',
                                 'x-amzn-code-interpreter-session-id': sid})
            status, headers, data = send(self.server, m, p, h, b)
            self.assertEqual(status, 400, data)
            self.assertEqual(headers['x-amzn-errortype'], 'ValidationException')
        m, p, h, b = signed(self.server, 'POST', path, b'{"name":"executeCode"}',
                            {'Content-Type': 'application/json'})
        status, headers, data = send(self.server, m, p, h, b)
        self.assertEqual((status, headers['x-amzn-errortype']), (400, 'ValidationException'))
        c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)
        self.healthy()

    def test_oversize_bodies(self):
        # refused from the Content-Length alone, before any byte of the body
        head = ('POST /code-interpreters/%s/tools/invoke HTTP/1.1\r\nHost: x\r\n'
                'Content-Type: application/json\r\nContent-Length: %d\r\n\r\n'
                % (IDENT, 200 << 20)).encode()
        out = raw(self.server, head)
        self.assertTrue(out.startswith(b'HTTP/1.1 413'), out[:200])
        self.assertIn(b'x-amzn-errortype: ValidationException', out)
        head = ('PUT /code-interpreters/%s/sessions/start HTTP/1.1\r\nHost: x\r\n'
                'Content-Length: 1000000\r\n\r\n' % IDENT).encode()
        out = raw(self.server, head + b'{' * 1000)
        self.assertTrue(out.startswith(b'HTTP/1.1 413'), out[:200])
        # chunked, no Content-Length: counted as it comes
        head = ('PUT /code-interpreters/%s/sessions/start HTTP/1.1\r\nHost: x\r\n'
                'Transfer-Encoding: chunked\r\n\r\n' % IDENT).encode()
        chunk = b'%x\r\n%s\r\n' % (70000, b'a' * 70000)
        out = raw(self.server, head + chunk + b'0\r\n\r\n')
        self.assertTrue(out.startswith(b'HTTP/1.1 413') or out.startswith(b'HTTP/1.1 403'),
                        out[:200])
        self.healthy()

    def test_malformed_http_and_routes(self):
        out = raw(self.server, b'THIS IS NOT HTTP\r\n\r\n')
        self.assertTrue(out == b'' or out.startswith(b'HTTP/1.1 4'), out[:200])
        out = raw(self.server, b'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n')
        self.assertTrue(out == b'' or out.startswith(b'HTTP/1.1 4'), out[:200])
        out = raw(self.server, b'\x00\xff\x16\x03\x01' * 100)
        self.assertTrue(out == b'' or out.startswith(b'HTTP/1.1 4'), out[:200])
        for method, path in (('GET', '/'), ('GET', '/code-interpreters/x/nothing'),
                             ('DELETE', '/code-interpreters/%s/sessions/start' % IDENT)):
            m, p, h, b = signed(self.server, method, path)
            status, headers, body = send(self.server, m, p, h, b)
            self.assertEqual(status, 404, body)
            self.assertIn('message', json.loads(body))
        self.healthy()
        c = self.server.client()
        c.list_code_interpreter_sessions(codeInterpreterIdentifier=IDENT)

    def test_metrics(self):
        c = self.server.client()
        sid = start(c)
        one(c, sid, 'executeCode', {'code': 'print(1)'})
        status, headers, body = send(self.server, 'GET', '/metrics', {})
        self.assertEqual(status, 200)
        text = body.decode()
        self.assertRegex(text, r'\ncodeinterp_serve_sessions [1-9]')
        self.assertRegex(text, r'\ncodeinterp_serve_executions_total [1-9]')
        self.assertIn('codeinterp_serve_execution_seconds_bucket{le="+Inf"}', text)
        self.assertIn('codeinterp_serve_errors_total{kind="AccessDeniedException"}', text)
        c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)
        text = send(self.server, 'GET', '/metrics', {})[2].decode()
        self.assertRegex(text, r'\ncodeinterp_serve_sessions_ended_total [1-9]')
        self.assertRegex(text, r'\ncodeinterp_serve_gb_seconds_total [0-9.]+\n')

    def test_client_drop_cancels(self):
        c = self.server.client()
        sid = start(c)
        marker = 'drop-marker-' + uuid.uuid4().hex[:8]
        body = json.dumps({'name': 'executeCommand',
                           'arguments': {'command': f'sleep 60; echo {marker}'}}).encode()
        m, p, h, b = signed(self.server, 'POST', '/code-interpreters/%s/tools/invoke' % IDENT,
                            body, {'Content-Type': 'application/json',
                                   'x-amzn-code-interpreter-session-id': sid})
        h['Content-Length'] = str(len(b))
        h['Host'] = '127.0.0.1:%d' % self.server.port
        s = socket.create_connection(('127.0.0.1', self.server.port))
        s.sendall(('%s %s HTTP/1.1\r\n' % (m, p)).encode() +
                  b''.join(f'{k}: {v}\r\n'.encode() for k, v in h.items()) + b'\r\n' + b)
        self.assertTrue(wait_for(lambda: sandbox_processes(marker), 10), 'the call never ran')
        t0 = time.time()
        s.close()
        self.assertTrue(wait_for(lambda: not sandbox_processes(marker), 10),
                        'the call went on after its client left')
        # the session is free again at once
        r = one(c, sid, 'executeCode', {'code': 'print(7)'})
        self.assertEqual(r['structuredContent']['stdout'], '7\n')
        self.assertLess(time.time() - t0, 10)
        self.assertTrue(wait_for(lambda: b'error=ClientClosed' in self.server.stderr(), 5))
        c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)


# -------------------------------------------------------------- parallel --

class Parallel(ServerCase):
    # 32 sessions at once, 16 of each key
    server_args = ('--quiet', '--max-sessions-per-key', '32')

    def test_clients_in_parallel(self):
        """The issue's load: 32 boto3 clients (a thread and a session each) x 20 calls."""
        n_clients, n_calls = 32, 20
        errors, times = [], []
        # boto3's client creation is not thread-safe: made here, used there
        clients = [self.server.client(KEY1 if i % 2 else KEY2) for i in range(n_clients)]

        def client(i):
            try:
                c = clients[i]
                sid = start(c)
                for k in range(n_calls):
                    t = time.time()
                    r = one(c, sid, 'executeCode', {'code': f'print({i} * 100 + {k})'})
                    times.append(time.time() - t)
                    if r['structuredContent']['stdout'] != f'{i * 100 + k}\n':
                        errors.append((i, k, r))
                c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)
            except Exception as e:  # noqa: BLE001
                errors.append((i, repr(e)))

        t0 = time.time()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(n_clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.time() - t0
        self.assertEqual(errors, [])
        self.assertEqual(len(times), n_clients * n_calls)
        print(f'\n{n_clients} clients x {n_calls} calls: {elapsed:.2f} s, '
              f'median call {statistics.median(times) * 1000:.1f} ms', file=sys.stderr)
        # still healthy after: answers, no session left, nothing refused
        status, _, body = send(self.server, 'GET', '/healthz', {})
        self.assertEqual((status, body), (200, b'ok\n'))
        c = self.server.client()
        self.assertEqual(c.list_code_interpreter_sessions(codeInterpreterIdentifier=IDENT,
                                                          status='READY')['items'], [])
        sid = start(c)
        self.assertEqual(one(c, sid, 'executeCode', {'code': 'print(7)'})
                         ['structuredContent']['stdout'], '7\n')
        c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)
        _, _, metrics = send(self.server, 'GET', '/metrics', {})
        self.assertIn(b'codeinterp_serve_sessions 0', metrics)
        for kind in (b'ThrottlingException', b'InternalServerException',
                     b'ServiceQuotaExceededException'):
            self.assertIn(b'codeinterp_serve_errors_total{kind="' + kind + b'"} 0\n', metrics)

    def test_slow_session_does_not_hold_up_another(self):
        c = self.server.client()
        slow, fast = start(c), start(c)
        done = []
        t = threading.Thread(target=lambda: done.append(
            one(c, slow, 'executeCode', {'code': 'import time; time.sleep(3); print("slow")'})))
        t.start()
        time.sleep(0.5)
        t0 = time.time()
        self.assertEqual(one(self.server.client(), fast, 'executeCode',
                             {'code': 'print(2)'})['structuredContent']['stdout'], '2\n')
        self.assertLess(time.time() - t0, 2.0)
        # a second call on the busy session waits its turn, then runs
        r = one(self.server.client(), slow, 'executeCode', {'code': 'print("next")'})
        self.assertEqual(r['structuredContent']['stdout'], 'next\n')
        t.join()
        self.assertEqual(done[0]['structuredContent']['stdout'], 'slow\n')
        for sid in (slow, fast):
            c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)

    def test_round_trip(self):
        """Measured, not asserted: boto3's print(1) round trip, session starts."""
        c = self.server.client()
        sid = start(c)
        one(c, sid, 'executeCode', {'code': 'print(1)'})
        times = []
        for _ in range(50):
            t = time.time()
            one(c, sid, 'executeCode', {'code': 'print(1)'})
            times.append(time.time() - t)
        c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=sid)
        t = time.time()
        sids = [start(c) for _ in range(10)]
        rate = 10 / (time.time() - t)
        for s in sids:
            c.stop_code_interpreter_session(codeInterpreterIdentifier=IDENT, sessionId=s)
        print(f'\nboto3 print(1) round trip: median {statistics.median(times) * 1000:.1f} ms '
              f'over 50; sessions started one after another: {rate:.1f}/s', file=sys.stderr)


# -------------------------------------------------------------- shutdown --

class Shutdown(unittest.TestCase):
    def test_sigterm_with_a_call_running(self):
        server = Server('--grace', '2')
        c = server.client(read_timeout=60)
        sid = start(c)
        marker = 'term-marker-' + uuid.uuid4().hex[:8]
        outcome = []

        def call():
            try:
                outcome.append(one(c, sid, 'executeCommand',
                                   {'command': f'sleep 120; echo {marker}'}))
            except Exception as e:  # noqa: BLE001
                outcome.append(e)

        t = threading.Thread(target=call)
        t.start()
        self.assertTrue(wait_for(lambda: sandbox_processes(marker), 10), 'the call never ran')
        self.assertTrue(leftovers(sid), 'the leftover check sees nothing of a live session')
        t0 = time.time()
        server.proc.send_signal(signal.SIGTERM)

        def refused():
            try:
                socket.create_connection(('127.0.0.1', server.port), timeout=1).close()
                return False
            except (ConnectionRefusedError, ConnectionResetError):
                return True   # reset: it was in the backlog when the socket closed
        # no new connections while the running call has its grace period
        self.assertTrue(wait_for(refused, 1.5, 0.05), 'still accepting after SIGTERM')
        self.assertIsNone(server.proc.poll())
        rc = server.proc.wait(30)
        elapsed = time.time() - t0
        log = server.stderr().decode()
        self.assertEqual(rc, 0, log[-2000:])
        self.assertLess(elapsed, 15, log[-2000:])
        self.assertIn('every session destroyed', log)
        self.assertTrue(wait_for(lambda: not sandbox_processes(marker), 5),
                        'a sandbox process outlived the server')
        self.assertEqual(leftovers(sid), [])
        t.join(30)
        self.assertEqual(len(outcome), 1)
        server.stop()


    def test_sigint_destroys_idle_sessions(self):
        server = Server()
        c = server.client()
        sids = [start(c), start(c)]
        one(c, sids[0], 'startCommandExecution', {'command': 'sleep 120'})
        self.assertTrue(all(leftovers(s) for s in sids))
        server.proc.send_signal(signal.SIGINT)
        self.assertEqual(server.proc.wait(30), 0, server.stderr().decode(errors='replace'))
        for s in sids:
            self.assertEqual(leftovers(s), [])
        server.stop()


CASES = {'boto3': Boto3, 'stream': Streaming, 'sdk': Sdk, 'auth': Auth, 'robust': Robust, 'parallel': Parallel,
         'shutdown': Shutdown}

if __name__ == '__main__':
    if len(sys.argv) < 3 or sys.argv[2] not in CASES:
        sys.exit('usage: test_serve.py CODEINTERP ' + '|'.join(CASES))
    CODEINTERP = os.path.abspath(sys.argv[1])
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(CASES[sys.argv[2]])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)
