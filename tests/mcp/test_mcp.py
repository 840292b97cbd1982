#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Suite mcp: `codeinterp mcp` held against the real `mcp` Python SDK.

    test_mcp.py CODEINTERP sdk|cancel|progress|raw

sdk: stdio_client + ClientSession: initialize, tools/list (every schema is a
  valid Draft 2020-12 schema), every tool called (executeCode in Python,
  JavaScript and TypeScript, executeCommand, the task tools, the file
  tools), each answer validated against its tool's outputSchema (error
  answers too), a matplotlib chart as an image block, resources/list and
  resources/read.
cancel: a `while True` call abandoned by the SDK (its request timeout sends
  notifications/cancelled) is killed, and the session goes on.
progress: a 3-second loop printing every 0.5 s reaches progress_callback as
  it runs, with the output in the messages.
raw: JSON-RPC written by hand: bad version, missing id or method, a batch,
  invalid JSON, an oversize message, unknown method and tool; each gets the
  spec's error code (or no answer, for a notification) and the server keeps
  answering.

Meson runs it with the test venv's Python (tests/meson.build,
test_venv_python); it exits 77 (skipped) when that venv is missing.
"""
import os
import sys

try:
    import mcp  # noqa: F401
    import jsonschema  # noqa: F401
except ImportError:
    print('SKIP: the mcp SDK is not installed; run scripts/setup')
    sys.exit(77)

import base64
import hashlib
import json
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import anyio
import jsonschema
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError

CLI = None
TOOLS = ['executeCode', 'executeCommand', 'startCommandExecution', 'getTask', 'stopTask',
         'writeFiles', 'readFiles', 'listFiles', 'removeFiles']


def server_params():
    return StdioServerParameters(command=CLI, args=['mcp'], env=dict(os.environ))


async def with_session(body, read_timeout=None):
    async with stdio_client(server_params(), errlog=sys.stderr) as (r, w):
        async with ClientSession(r, w, read_timeout_seconds=read_timeout) as s:
            init = await s.initialize()
            return await body(s, init)


def run(body, **kw):
    return anyio.run(lambda: with_session(body, **kw))


async def every_tool(tc, s, init):
    """initialize's answer, ping, tools/list (every schema checked), every
    tool called with its answer validated against the tool's outputSchema,
    a chart as an image block, resources: the same over both transports.
    `tc` is the TestCase that asserts."""
    self = tc
    self.assertEqual(init.server_info.name, 'codeinterp')
    self.assertIn(init.protocol_version, ('2025-11-25',))
    self.assertIsNotNone(init.capabilities.tools)
    self.assertIsNotNone(init.capabilities.resources)
    await s.send_ping()

    listed = await s.list_tools()
    tools = {t.name: t for t in listed.tools}
    self.assertEqual(sorted(tools), sorted(TOOLS))
    validators = {}
    for t in listed.tools:
        self.assertGreater(len(t.description or ''), 80, t.name)
        jsonschema.Draft202012Validator.check_schema(t.input_schema)
        self.assertEqual(t.input_schema['type'], 'object')
        if t.output_schema is not None:
            jsonschema.Draft202012Validator.check_schema(t.output_schema)
            self.assertEqual(t.output_schema['type'], 'object')
            validators[t.name] = jsonschema.Draft202012Validator(t.output_schema)
        jsonschema.Draft202012Validator(t.input_schema)
    self.assertIn('900', tools['executeCode'].description)
    self.assertIn('/workspace', tools['writeFiles'].description)

    async def call(name, args, expect_error=False):
        jsonschema.Draft202012Validator(tools[name].input_schema).validate(args)
        r = await s.call_tool(name, args)
        self.assertEqual(bool(r.is_error), expect_error, (name, args, r))
        if name in validators:
            validators[name].validate(r.structured_content)
        return r

    r = await call('executeCode', {'code': 'x = 41\nx + 1'})
    self.assertEqual(r.structured_content['result'], '42')
    r = await call('executeCode', {'code': 'print(x)'})
    self.assertEqual(r.content[0].text.strip(), '41')
    r = await call('executeCode', {'code': 'const a: number = 2; a * 21',
                                   'language': 'typescript'})
    self.assertEqual(r.structured_content['result'], '42')
    r = await call('executeCode', {'code': 'console.log("js"); 1 + 1',
                                   'language': 'javascript'})
    self.assertEqual(r.structured_content['stdout'], 'js\n')
    r = await call('executeCode', {'code': '1/0'}, expect_error=True)
    self.assertEqual(r.structured_content['error']['name'], 'ZeroDivisionError')
    r = await call('executeCode', {'code': 'import sys; sys.exit(3)'}, expect_error=True)
    # a chart comes back as an image block
    r = await call('executeCode', {'code': 'import matplotlib.pyplot as plt\n'
                                           'plt.plot([1, 2, 3], [1, 4, 9])'})
    images = [c for c in r.content if c.type == 'image']
    self.assertEqual(len(images), 1)
    self.assertEqual(images[0].mime_type, 'image/png')
    self.assertTrue(base64.b64decode(images[0].data).startswith(b'\x89PNG'))

    r = await call('executeCommand', {'command': 'echo hi; echo err >&2'})
    self.assertEqual(r.structured_content['stdout'], 'hi\n')
    r = await call('executeCommand', {'command': 'exit 3'}, expect_error=True)
    self.assertEqual(r.structured_content['exitCode'], 3)

    r = await call('startCommandExecution', {'command': 'echo one; sleep 30'})
    task = r.structured_content['taskId']
    for _ in range(50):
        r = await call('getTask', {'taskId': task})
        if r.structured_content['stdout']:
            break
        await anyio.sleep(0.1)
    self.assertEqual(r.structured_content['stdout'], 'one\n')
    r = await call('stopTask', {'taskId': task})
    self.assertEqual(r.structured_content['taskStatus'], 'canceled')
    r = await call('getTask', {'taskId': 'task-99'}, expect_error=True)
    self.assertEqual(r.structured_content['error']['name'], 'NoSuchTask')

    png = b'\x89PNG\r\n\x1a\n\x00\xff'
    r = await call('writeFiles', {'content': [
        {'path': 'notes/a.txt', 'text': 'hello'},
        {'path': 'deep/er/caf\u00e9 #1.md', 'text': '# caf\u00e9'},
        {'path': 'b.bin', 'blob': base64.b64encode(png).decode()}]})
    self.assertEqual(len(r.structured_content['files']), 3)
    r = await call('readFiles', {'paths': ['notes/a.txt', 'b.bin']})
    self.assertEqual(r.content[0].resource.text, 'hello')
    self.assertEqual(base64.b64decode(r.content[1].resource.blob), png)
    r = await call('readFiles', {'paths': ['../etc/passwd']}, expect_error=True)
    r = await call('listFiles', {'directoryPath': ''})
    names = {f['name']: f['type'] for f in r.structured_content['files']}
    self.assertEqual(names['notes'], 'directory')
    self.assertEqual(names['b.bin'], 'file')
    r = await call('listFiles', {'directoryPath': 'missing'}, expect_error=True)

    res = await s.list_resources()
    uris = {str(x.uri): x for x in res.resources}
    self.assertIn('file:///workspace/notes/a.txt', uris)
    self.assertEqual(uris['file:///workspace/notes/a.txt'].mime_type, 'text/plain')
    self.assertIn('file:///workspace/b.bin', uris)
    deep = [u for u in uris if 'deep/er/' in u]
    self.assertEqual(deep, ['file:///workspace/deep/er/caf%C3%A9%20%231.md'])
    got = await s.read_resource(deep[0])
    self.assertEqual(got.contents[0].text, '# caf\u00e9')
    got = await s.read_resource('file:///workspace/notes/a.txt')
    self.assertEqual(got.contents[0].text, 'hello')
    got = await s.read_resource('file:///workspace/b.bin')
    self.assertEqual(base64.b64decode(got.contents[0].blob), png)
    with self.assertRaises(MCPError) as e:
        await s.read_resource('file:///workspace/nope.txt')
    self.assertEqual(e.exception.code, -32002)
    with self.assertRaises(MCPError) as e:
        await s.read_resource('file:///etc/passwd')
    self.assertEqual(e.exception.code, -32002)

    # /output: the file tools and the resources reach it too
    r = await call('executeCode', {'code': "open('/output/report.txt', 'w').write('done')"})
    res = await s.list_resources()
    uris = {str(x.uri): x for x in res.resources}
    self.assertIn('file:///output/report.txt', uris)
    self.assertEqual(uris['file:///output/report.txt'].name, '/output/report.txt')
    got = await s.read_resource('file:///output/report.txt')
    self.assertEqual(got.contents[0].text, 'done')
    r = await call('readFiles', {'paths': ['/output/report.txt']})
    self.assertEqual(r.content[0].resource.text, 'done')
    r = await call('listFiles', {'directoryPath': '/output'})
    self.assertEqual([f['name'] for f in r.structured_content['files']], ['report.txt'])
    with self.assertRaises(MCPError) as e:
        await s.read_resource('file:///data/x')
    self.assertEqual(e.exception.code, -32002)
    r = await call('removeFiles', {'paths': ['/output/report.txt']})
    # listFiles pages: a folder of 25 files read 10 at a time
    r = await call('executeCommand', {'command': 'mkdir many && cd many && '
                                                 'for i in $(seq 10 34); do : > f$i; done'})
    names, token = [], None
    while True:
        args = {'directoryPath': 'many', 'limit': 10}
        if token:
            args['nextToken'] = token
        r = await call('listFiles', args)
        names += [f['name'] for f in r.structured_content['files']]
        token = r.structured_content.get('nextToken')
        if not token:
            break
    self.assertEqual(names, ['f%d' % i for i in range(10, 35)])
    r = await call('removeFiles', {'paths': ['many']})

    r = await call('removeFiles', {'paths': ['notes', 'b.bin', 'deep']})
    self.assertEqual(r.structured_content['removed'], ['notes', 'b.bin', 'deep'])
    self.assertEqual((await s.list_resources()).resources, [])
    r = await call('removeFiles', {'paths': ['b.bin']}, expect_error=True)
    # a bad argument is a tool error the model can read, not a protocol error
    r = await s.call_tool('executeCode', {'code': 'pass', 'bogus': 1})
    self.assertTrue(r.is_error)
    validators['executeCode'].validate(r.structured_content)
    # every tool's refusals follow its outputSchema too
    bad = [{}, {'code': 1, 'command': 1, 'taskId': 1, 'paths': 1, 'content': 1,
                'directoryPath': 1}, {'unknown': True}]
    for name in TOOLS:
        for args in bad:
            if name == 'listFiles' and args == {}:
                continue
            r = await s.call_tool(name, args)
            self.assertTrue(r.is_error, (name, args, r))
            if name in validators:
                validators[name].validate(r.structured_content)
                self.assertIn('name', r.structured_content['error'])
    with self.assertRaises(MCPError) as e:
        await s.call_tool('noSuchTool', {})
    self.assertEqual(e.exception.code, -32602)


class Sdk(unittest.TestCase):
    def test_everything(self):
        run(lambda s, init: every_tool(self, s, init))


class Auto(unittest.TestCase):
    def test_client_auto_mode(self):
        """mcp.Client probes server/discover first (2026-07-28); the -32601 it
        gets makes it fall back to the initialize handshake."""
        from mcp import Client

        async def body():
            async with Client(server_params()) as client:
                r = await client.call_tool('executeCode', {'code': '6 * 7'})
                self.assertFalse(r.is_error, r)
                self.assertEqual(r.structured_content['result'], '42')
                # a large message (30 MiB as base64) is within the default bound
                blob = os.urandom(30 << 20)
                r = await client.call_tool('writeFiles', {'content': [
                    {'path': 'big.bin', 'blob': base64.b64encode(blob).decode()}]})
                self.assertFalse(r.is_error, r)
                r = await client.call_tool('executeCommand', {'command': 'sha256sum big.bin'})
                self.assertEqual(r.structured_content['stdout'].split()[0],
                                 hashlib.sha256(blob).hexdigest())
        anyio.run(body)


class Cancel(unittest.TestCase):
    def test_cancel_while_true(self):
        async def body(s, init):
            await s.call_tool('executeCode', {'code': 'kept = 7'})
            start = time.monotonic()
            with self.assertRaises(MCPError) as e:
                # the SDK's request timeout sends notifications/cancelled
                await s.call_tool('executeCode', {'code': 'while True:\n    pass'},
                                  read_timeout_seconds=1.5)
            self.assertIn('timed out', e.exception.message)
            # the server cancelled it: the next call runs at once
            r = await s.call_tool('executeCode', {'code': 'print("after")'})
            self.assertLess(time.monotonic() - start, 15)
            self.assertFalse(r.is_error, r)
            self.assertEqual(r.structured_content['stdout'], 'after\n')
            await s.send_ping()
            # an anyio cancel scope sends notifications/cancelled too
            with anyio.move_on_after(1.0):
                await s.call_tool('executeCommand', {'command': 'sleep 600'})
            r = await s.call_tool('executeCommand', {'command': 'echo alive'})
            self.assertEqual(r.structured_content['stdout'], 'alive\n')
            self.assertLess(time.monotonic() - start, 20)
        run(body)


class Progress(unittest.TestCase):
    def test_progress_of_a_loop(self):
        async def body(s, init):
            seen = []

            async def on_progress(progress, total, message):
                seen.append((time.monotonic(), progress, message))

            start = time.monotonic()
            r = await s.call_tool('executeCode', {
                'code': 'import time\nfor i in range(6):\n    print("tick", i, flush=True)\n'
                        '    time.sleep(0.5)'}, progress_callback=on_progress)
            end = time.monotonic()
            self.assertFalse(r.is_error, r)
            self.assertGreaterEqual(end - start, 3.0)
            text = ''.join(m for _, _, m in seen)
            self.assertEqual(text, ''.join(f'tick {i}\n' for i in range(6)))
            progress = [p for _, p, _ in seen]
            self.assertEqual(progress, sorted(set(progress)))
            # they came while it ran, not all at the end
            self.assertLess(seen[0][0] - start, 2.0)
            self.assertGreater(end - seen[0][0], 2.0)

            # a UTF-8 character cut between two chunks arrives whole; a bad
            # byte becomes U+FFFD; stderr comes too
            seen.clear()
            r = await s.call_tool('executeCode', {
                'code': 'import sys, time\nsys.stdout.buffer.write(b"\\xc3"); sys.stdout.flush()\n'
                        'time.sleep(0.3)\nsys.stdout.buffer.write(b"\\xa9 \\xff\\n")\n'
                        'sys.stdout.flush()\nprint("oops", file=sys.stderr)'},
                progress_callback=on_progress)
            self.assertFalse(r.is_error, r)
            text = ''.join(m for _, _, m in seen)
            self.assertIn('\u00e9 \ufffd\n', text)
            self.assertIn('oops\n', text)
        run(body)


class RawBase(unittest.TestCase):
    """JSON-RPC written by hand to the server's stdin."""

    args = ['--max-message-mib', '1']

    def setUp(self):
        # a state folder of its own: the sessions in it are this server's
        self.state = tempfile.mkdtemp(prefix='mcp-state-')
        env = dict(os.environ, CODEINTERP_STATE_DIR=self.state)
        self.p = subprocess.Popen([CLI, 'mcp'] + self.args, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=sys.stderr, env=env)
        self.buf = b''

    def tearDown(self):
        if self.p.poll() is None:
            self.p.stdin.close()
            self.assertEqual(self.p.wait(timeout=30), 0)
        self.p.stdout.close()
        shutil.rmtree(self.state, ignore_errors=True)

    def call(self, rid, name, **args):
        return self.ask({'jsonrpc': '2.0', 'id': rid, 'method': 'tools/call',
                         'params': {'name': name, 'arguments': args}})

    def send(self, data):
        if isinstance(data, (dict, list)):
            data = json.dumps(data)
        if isinstance(data, str):
            data = data.encode()
        self.p.stdin.write(data + b'\n')
        self.p.stdin.flush()

    def receive(self, timeout=20):
        deadline = time.monotonic() + timeout
        while b'\n' not in self.buf:
            left = deadline - time.monotonic()
            self.assertGreater(left, 0, 'no answer')
            if select.select([self.p.stdout], [], [], left)[0]:
                chunk = os.read(self.p.stdout.fileno(), 1 << 20)
                self.assertTrue(chunk, 'server closed stdout')
                self.buf += chunk
        line, self.buf = self.buf.split(b'\n', 1)
        return json.loads(line)

    def ask(self, msg):
        self.send(msg)
        return self.receive()

    def ping(self, n):
        self.assertEqual(self.ask({'jsonrpc': '2.0', 'id': n, 'method': 'ping'}),
                         {'jsonrpc': '2.0', 'id': n, 'result': {}})

    def error_of(self, msg, code, rid=None):
        answer = self.ask(msg)
        self.assertEqual(answer.get('id'), rid, answer)
        self.assertEqual(answer['error']['code'], code, answer)
        return answer



class Raw(RawBase):
    def test_errors(self):
        r = self.ask({'jsonrpc': '2.0', 'id': 1, 'method': 'initialize',
                      'params': {'protocolVersion': '2025-06-18', 'capabilities': {},
                                 'clientInfo': {'name': 'raw', 'version': '0'}}})
        self.assertEqual(r['result']['protocolVersion'], '2025-06-18')
        self.send({'jsonrpc': '2.0', 'method': 'notifications/initialized'})
        r = self.ask({'jsonrpc': '2.0', 'id': 'v', 'method': 'initialize',
                      'params': {'protocolVersion': '1999-01-01', 'capabilities': {},
                                 'clientInfo': {'name': 'raw', 'version': '0'}}})
        self.assertEqual(r['result']['protocolVersion'], '2025-11-25')
        self.ping(2)
        self.error_of({'jsonrpc': '1.0', 'id': 3, 'method': 'ping'}, -32600, 3)
        self.error_of({'id': 4, 'method': 'ping'}, -32600, 4)
        self.ping(5)
        self.error_of({'jsonrpc': '2.0', 'id': 6}, -32600, 6)
        # no id: a notification, never answered, even an unknown one
        self.send({'jsonrpc': '2.0', 'method': 'ping'})
        self.send({'jsonrpc': '2.0', 'method': 'notifications/whatever'})
        self.ping(7)
        self.error_of({'jsonrpc': '2.0', 'id': None, 'method': 'ping'}, -32600)
        self.error_of([{'jsonrpc': '2.0', 'id': 8, 'method': 'ping'}], -32600)
        self.error_of([], -32600)
        self.error_of('{"jsonrpc": "2.0", "id": 9, "method": "ping"', -32700)
        self.error_of('not json at all', -32700)
        self.error_of(b'\xff\xfe{}', -32700)
        self.error_of('42', -32600)
        self.ping(10)
        self.error_of({'jsonrpc': '2.0', 'id': 11, 'method': 'no/such'}, -32601, 11)
        self.error_of({'jsonrpc': '2.0', 'id': 12, 'method': 'tools/call',
                       'params': {'name': 'nope'}}, -32602, 12)
        self.error_of({'jsonrpc': '2.0', 'id': 13, 'method': 'tools/call',
                       'params': {'arguments': {}}}, -32602, 13)
        self.error_of({'jsonrpc': '2.0', 'id': 14, 'method': 'tools/call',
                       'params': {'name': 'executeCode', 'arguments': [1]}}, -32602, 14)
        self.error_of({'jsonrpc': '2.0', 'id': 15, 'method': 'initialize', 'params': {}},
                      -32602, 15)
        # over the bound (1 MiB here): refused as it streams in, then business as usual
        big = json.dumps({'jsonrpc': '2.0', 'id': 16, 'method': 'tools/call',
                          'params': {'name': 'executeCode',
                                     'arguments': {'code': '#' + 'x' * (3 << 20)}}})
        self.error_of(big, -32600)
        self.ping(17)
        # a string with \u0000 would be cut by a JSON parser: refused as a tool error
        r = self.ask({'jsonrpc': '2.0', 'id': 18, 'method': 'tools/call',
                      'params': {'name': 'executeCode', 'arguments': {'code': 'print(1)\u0000'}}})
        self.assertTrue(r['result']['isError'])
        r = self.ask({'jsonrpc': '2.0', 'id': 19, 'method': 'tools/call',
                      'params': {'name': 'executeCode', 'arguments': {'code': 'print(6*7)'}}})
        self.assertEqual(r['result']['structuredContent']['stdout'], '42\n')
        # a ping is answered while a call runs
        self.send({'jsonrpc': '2.0', 'id': 20, 'method': 'tools/call',
                   'params': {'name': 'executeCommand', 'arguments': {'command': 'sleep 2'}}})
        t = time.monotonic()
        self.ping(21)
        self.assertLess(time.monotonic() - t, 1.5)
        r = self.receive()
        self.assertEqual(r['id'], 20)
        # cancelling by id: no answer for it, the next one comes
        self.send({'jsonrpc': '2.0', 'id': 22, 'method': 'tools/call',
                   'params': {'name': 'executeCode', 'arguments': {'code': 'while True: pass'}}})
        time.sleep(0.5)
        self.send({'jsonrpc': '2.0', 'method': 'notifications/cancelled',
                   'params': {'requestId': 22, 'reason': 'test'}})
        r = self.ask({'jsonrpc': '2.0', 'id': 23, 'method': 'tools/call',
                      'params': {'name': 'executeCode', 'arguments': {'code': '1'}}})
        self.assertEqual(r['id'], 23)
        self.assertFalse(r['result']['isError'])
        # calls wait their turn in order; a waiting one cancelled is dropped
        for rid, cmd in (('q1', 'sleep 0.5; echo 1'), ('q2', 'echo 2'), ('q3', 'echo 3')):
            self.send({'jsonrpc': '2.0', 'id': rid, 'method': 'tools/call',
                       'params': {'name': 'executeCommand', 'arguments': {'command': cmd}}})
        self.send({'jsonrpc': '2.0', 'method': 'notifications/cancelled',
                   'params': {'requestId': 'q2'}})
        got = [self.receive() for _ in range(2)]
        self.assertEqual([m['id'] for m in got], ['q1', 'q3'])
        self.assertEqual(got[1]['result']['structuredContent']['stdout'], '3\n')
        self.ping(24)

    def test_batches_of_2025_03_26(self):
        """2025-03-26 has JSON-RPC batches: answered with one array once every
        request of it is answered; notifications get nothing."""
        r = self.ask({'jsonrpc': '2.0', 'id': 1, 'method': 'initialize',
                      'params': {'protocolVersion': '2025-03-26', 'capabilities': {},
                                 'clientInfo': {'name': 'raw', 'version': '0'}}})
        self.assertEqual(r['result']['protocolVersion'], '2025-03-26')
        answer = self.ask([
            {'jsonrpc': '2.0', 'id': 'a', 'method': 'ping'},
            {'jsonrpc': '2.0', 'method': 'notifications/initialized'},
            {'jsonrpc': '2.0', 'id': 'b', 'method': 'tools/call',
             'params': {'name': 'executeCode', 'arguments': {'code': 'print(5)'}}},
            1,
            {'jsonrpc': '2.0', 'id': 'c', 'method': 'no/such'},
            {'jsonrpc': '2.0', 'id': 'd', 'method': 'initialize', 'params': {}},
        ])
        self.assertIsInstance(answer, list)
        by_id = {m['id']: m for m in answer}
        self.assertEqual(len(answer), 5, answer)
        self.assertEqual(by_id['a']['result'], {})
        self.assertEqual(by_id['b']['result']['structuredContent']['stdout'], '5\n')
        self.assertEqual(by_id[None]['error']['code'], -32600)
        self.assertEqual(by_id['c']['error']['code'], -32601)
        self.assertEqual(by_id['d']['error']['code'], -32600)
        self.send([{'jsonrpc': '2.0', 'method': 'notifications/whatever'}])
        self.error_of([], -32600)
        self.ping(2)


class Lifetime(RawBase):
    """The session's life: idle expiry, end of stdin, signals."""
    args = ['--idle-timeout', '1']

    def test_lifetime(self):
        self.ping(1)
        r = self.call(2, 'executeCode', code='x = 1')
        self.assertFalse(r['result']['isError'], r)
        r = self.call(3, 'writeFiles', content=[{'path': 'f.txt', 'text': 'x'}])
        time.sleep(1.5)
        r = self.call(4, 'executeCode', code='x')
        self.assertEqual(r['result']['structuredContent']['status'], 'session_expired', r)
        # the next call gets a new, empty session
        r = self.call(5, 'executeCode', code='print(1)')
        self.assertEqual(r['result']['structuredContent']['stdout'], '1\n', r)
        r = self.call(6, 'listFiles')
        self.assertEqual(r['result']['structuredContent']['files'], [])
        # expiry seen by resources/list: an error, and the next one has a new session
        time.sleep(1.5)
        r = self.ask({'jsonrpc': '2.0', 'id': 'r1', 'method': 'resources/list'})
        self.assertEqual(r['error']['code'], -32603, r)
        self.assertIn('expired', r['error']['message'])
        r = self.ask({'jsonrpc': '2.0', 'id': 'r2', 'method': 'resources/list'})
        self.assertEqual(r['result'], {'resources': []}, r)
        # end of stdin: what was read is answered, then the process exits 0
        self.send({'jsonrpc': '2.0', 'id': 7, 'method': 'tools/call',
                   'params': {'name': 'executeCommand', 'arguments': {'command': 'sleep 0.5; echo late'}}})
        self.p.stdin.close()
        r = self.receive()
        self.assertEqual(r['result']['structuredContent']['stdout'], 'late\n')
        self.assertEqual(self.p.wait(timeout=30), 0)

    def test_sigterm_during_a_call(self):
        self.ping(1)
        self.send({'jsonrpc': '2.0', 'id': 2, 'method': 'tools/call',
                   'params': {'name': 'executeCode', 'arguments': {'code': 'while True: pass'}}})
        time.sleep(1.0)
        t = time.monotonic()
        self.p.send_signal(signal.SIGTERM)
        self.assertEqual(self.p.wait(timeout=20), -signal.SIGTERM)
        self.assertLess(time.monotonic() - t, 10)
        # the session was destroyed: nothing of it is left in its state folder
        sessions = os.path.join(self.state, 'sessions')
        left = os.listdir(sessions) if os.path.isdir(sessions) else []
        self.assertEqual(left, [])


class Http(unittest.TestCase):
    """`codeinterp serve` with /mcp: the SDK's streamable_http_client."""
    KEY, SECRET = 'MCPHTTPKEY1', 'mcp-http-secret/1'
    KEY2, SECRET2 = 'MCPHTTPKEY2', 'mcp-http-secret/2'

    def setUp(self, *extra):
        self.dir = tempfile.TemporaryDirectory(prefix='mcp-http-')
        keys = os.path.join(self.dir.name, 'keys')
        with open(keys, 'w') as f:
            f.write(f'{self.KEY} {self.SECRET}\n{self.KEY2} {self.SECRET2}\n')
        os.chmod(keys, 0o600)
        self.log = open(os.path.join(self.dir.name, 'stderr'), 'w+b')
        auth = [keys if a == '{keys}' else a for a in extra] or ['--keys', keys]
        self.proc = subprocess.Popen([CLI, 'serve', '--port', '0'] + auth,
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 20
        self.url = None
        while time.time() < deadline and not self.url:
            m = re.search(rb'listening on (http://127\.0\.0\.1:\d+)', self.stderr())
            if m:
                self.url = m.group(1).decode() + '/mcp'
            elif self.proc.poll() is not None:
                raise AssertionError('server exited: ' + self.stderr().decode(errors='replace'))
            else:
                time.sleep(0.05)
        assert self.url, 'server did not say where it listens'

    def stderr(self):
        self.log.flush()
        with open(self.log.name, 'rb') as f:
            return f.read()

    def tearDown(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.dir.cleanup()

    def client(self, token=None):
        from mcp.shared._httpx_utils import create_mcp_http_client
        token = token or f'{self.KEY}:{self.SECRET}'
        return create_mcp_http_client(headers={'Authorization': f'Bearer {token}'})

    async def session(self, body, token=None, read_timeout=None):
        from mcp.client.streamable_http import streamable_http_client
        async with self.client(token) as http:
            async with streamable_http_client(self.url, http_client=http) as (r, w):
                async with ClientSession(r, w, read_timeout_seconds=read_timeout) as s:
                    init = await s.initialize()
                    return await body(s, init)

    def raw(self, method, body=None, headers=None):
        import urllib.request
        import urllib.error
        data = json.dumps(body).encode() if body is not None else None
        h = {'Content-Type': 'application/json',
             'Accept': 'application/json, text/event-stream'}
        h.update(headers or {})
        req = urllib.request.Request(self.url, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def test_every_tool(self):
        anyio.run(lambda: self.session(lambda s, init: every_tool(self, s, init)))

    def test_cancel_of_a_queued_call(self):
        """A call queued behind another in the same MCP session and
        cancelled while it waits never runs, and comes back at once when
        its turn comes."""
        async def body(s, init):
            outcome = {}

            async def spin():
                try:
                    await s.call_tool('executeCode', {'code': 'while True:\n    pass'},
                                      read_timeout_seconds=6)
                except MCPError as e:
                    outcome['spin'] = e

            async def queued():
                await anyio.sleep(1)  # behind spin
                try:
                    await s.call_tool('executeCommand', {'command': 'touch queued-ran'},
                                      read_timeout_seconds=1.5)
                except MCPError as e:
                    outcome['queued'] = e
            async with anyio.create_task_group() as g:
                g.start_soon(spin)
                g.start_soon(queued)
            self.assertIn('queued', outcome)
            self.assertIn('spin', outcome)
            r = await s.call_tool('executeCommand', {'command': 'ls queued-ran || echo none'})
            self.assertEqual(r.structured_content['stdout'], 'none\n', r)
        anyio.run(lambda: self.session(body))

    def test_sdk_calls_progress_cancel(self):
        async def body(s, init):
            self.assertEqual(init.server_info.name, 'codeinterp')
            tools = await s.list_tools()
            self.assertEqual(sorted(t.name for t in tools.tools), sorted(TOOLS))
            r = await s.call_tool('executeCode', {'code': 'x = 6 * 7\nprint(x)'})
            self.assertFalse(r.is_error, r)
            self.assertEqual(r.structured_content['stdout'], '42\n')
            # the session keeps its state between calls
            r = await s.call_tool('executeCode', {'code': 'print(x + 1)'})
            self.assertEqual(r.structured_content['stdout'], '43\n')
            r = await s.call_tool('executeCommand', {'command': 'echo hi; pwd'})
            self.assertFalse(r.is_error, r)
            self.assertEqual(r.structured_content['stdout'], 'hi\n/workspace\n')
            # resources, as over stdio
            r = await s.call_tool('executeCommand', {'command': 'mkdir -p d && echo -n hello > d/a.txt'})
            self.assertFalse(r.is_error, r)
            res = await s.list_resources()
            self.assertEqual([str(x.uri) for x in res.resources], ['file:///workspace/d/a.txt'])
            got = await s.read_resource('file:///workspace/d/a.txt')
            self.assertEqual(got.contents[0].text, 'hello')
            with self.assertRaises(MCPError) as e:
                await s.read_resource('file:///workspace/nope.txt')
            self.assertEqual(e.exception.code, -32002)
            # progress: an SSE response carries notifications/progress as it runs
            seen = []

            async def on_progress(progress, total, message):
                seen.append((time.monotonic(), progress, message))
            start = time.monotonic()
            r = await s.call_tool('executeCode', {
                'code': 'import time\nfor i in range(6):\n    print("tick", i, flush=True)\n'
                        '    time.sleep(0.5)'}, progress_callback=on_progress)
            end = time.monotonic()
            self.assertFalse(r.is_error, r)
            self.assertGreaterEqual(len(seen), 3, seen)
            self.assertLess(seen[0][0], end - 1.5, 'the first progress came at the end')
            self.assertIn('tick 0', ''.join(m or '' for _, _, m in seen))
            progress = [p for _, p, _ in seen]
            self.assertEqual(progress, sorted(set(progress)))
            del start
            # cancel: the SDK's request timeout sends notifications/cancelled
            t0 = time.monotonic()
            with self.assertRaises(MCPError):
                await s.call_tool('executeCode', {'code': 'while True:\n    pass'},
                                  read_timeout_seconds=1.5)
            r = await s.call_tool('executeCode', {'code': 'print("after")'})
            self.assertEqual(r.structured_content['stdout'], 'after\n')
            self.assertLess(time.monotonic() - t0, 15)
            await s.send_ping()
        anyio.run(lambda: self.session(body))
        # the client's DELETE ended the session; the access log line is
        # written once the answer has gone out, so it may trail the client
        deadline = time.monotonic() + 10
        while b'"DELETE /mcp" 200' not in self.stderr() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertIn(b'"DELETE /mcp" 200', self.stderr())

    def test_http_rules(self):
        init = {'jsonrpc': '2.0', 'id': 1, 'method': 'initialize',
                'params': {'protocolVersion': '2025-06-18', 'capabilities': {},
                           'clientInfo': {'name': 't', 'version': '1'}}}
        auth = {'Authorization': f'Bearer {self.KEY}:{self.SECRET}'}
        # a wrong or missing token: 401, and the SDK fails at initialize
        for h in [{}, {'Authorization': f'Bearer {self.KEY}:wrong'},
                  {'Authorization': f'Bearer NOSUCHKEY:{self.SECRET}'},
                  {'Authorization': f'Basic {self.KEY}:{self.SECRET}'}]:
            status, headers, _ = self.raw('POST', init, h)
            self.assertEqual(status, 401, h)
            self.assertIn('Bearer', headers.get('WWW-Authenticate', ''))

        async def nothing(s, init):
            return init
        with self.assertRaises(BaseException):
            anyio.run(lambda: self.session(nothing, token=f'{self.KEY}:nope'))
        # GET: no server-initiated stream
        status, _, _ = self.raw('GET', None, auth)
        self.assertEqual(status, 405)
        # initialize issues Mcp-Session-Id
        status, headers, data = self.raw('POST', init, auth)
        self.assertEqual(status, 200, data)
        sid = {k.lower(): v for k, v in headers.items()}['mcp-session-id']
        self.assertEqual(json.loads(data)['result']['protocolVersion'], '2025-06-18')
        h = dict(auth, **{'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '2025-06-18'})
        status, _, _ = self.raw('POST', {'jsonrpc': '2.0', 'method': 'notifications/initialized'},
                                h)
        self.assertEqual(status, 202)
        status, _, data = self.raw('POST', {'jsonrpc': '2.0', 'id': 2, 'method': 'ping'}, h)
        self.assertEqual((status, json.loads(data)['result']), (200, {}))
        # no session header: 400; unknown session: 404; bad version header: 400
        status, _, _ = self.raw('POST', {'jsonrpc': '2.0', 'id': 3, 'method': 'ping'}, auth)
        self.assertEqual(status, 400)
        status, _, _ = self.raw('POST', {'jsonrpc': '2.0', 'id': 3, 'method': 'ping'},
                                dict(auth, **{'Mcp-Session-Id': 'nosuchsession'}))
        self.assertEqual(status, 404)
        status, _, _ = self.raw('POST', {'jsonrpc': '2.0', 'id': 3, 'method': 'ping'},
                                dict(h, **{'MCP-Protocol-Version': '1999-01-01'}))
        self.assertEqual(status, 400)
        # parse error, batch
        status, _, data = self.raw('POST', None, h)
        self.assertEqual(status, 400)
        status, _, data = self.raw('POST', [{'jsonrpc': '2.0', 'id': 4, 'method': 'ping'}], h)
        self.assertEqual((status, json.loads(data)['error']['code']), (400, -32600))
        # the session is bound to its key: another key's token finds no such session
        status, _, _ = self.raw('POST', {'jsonrpc': '2.0', 'id': 4, 'method': 'ping'},
                                dict(h, Authorization=f'Bearer {self.KEY2}:{self.SECRET2}'))
        self.assertEqual(status, 404)
        # a call without progress: application/json
        status, headers, data = self.raw('POST', {
            'jsonrpc': '2.0', 'id': 5, 'method': 'tools/call',
            'params': {'name': 'executeCommand', 'arguments': {'command': 'echo raw'}}}, h)
        self.assertEqual(status, 200)
        self.assertTrue(headers['Content-Type'].startswith('application/json'))
        self.assertEqual(json.loads(data)['result']['structuredContent']['stdout'], 'raw\n')
        # DELETE ends it: the id is unknown afterwards
        status, _, _ = self.raw('DELETE', None, h)
        self.assertEqual(status, 200)
        status, _, _ = self.raw('POST', {'jsonrpc': '2.0', 'id': 6, 'method': 'ping'}, h)
        self.assertEqual(status, 404)
        status, _, _ = self.raw('DELETE', None, h)
        self.assertEqual(status, 404)
        # the server stops cleanly
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(30), 0, self.stderr().decode(errors='replace')[-2000:])

    def test_session_quota_of_a_key(self):
        self.tearDown()
        self.setUp('--keys', '{keys}', '--max-sessions-per-key', '1')
        init = {'jsonrpc': '2.0', 'id': 1, 'method': 'initialize',
                'params': {'protocolVersion': '2025-06-18', 'capabilities': {},
                           'clientInfo': {'name': 't', 'version': '1'}}}
        auth = {'Authorization': f'Bearer {self.KEY}:{self.SECRET}'}
        status, headers, _ = self.raw('POST', init, auth)
        self.assertEqual(status, 200)
        sid = {k.lower(): v for k, v in headers.items()}['mcp-session-id']
        status, _, data = self.raw('POST', init, auth)
        self.assertEqual(status, 429, data)
        self.assertIn('maximum of 1 sessions', json.loads(data)['error']['message'])
        # another key has its own quota; a DELETE frees the slot
        status, _, _ = self.raw('POST', init,
                                {'Authorization': f'Bearer {self.KEY2}:{self.SECRET2}'})
        self.assertEqual(status, 200)
        status, _, _ = self.raw('DELETE', None, dict(auth, **{'Mcp-Session-Id': sid}))
        self.assertEqual(status, 200)
        status, _, _ = self.raw('POST', init, auth)
        self.assertEqual(status, 200)

    def test_sigterm_during_calls(self):
        self.tearDown()
        self.setUp('--keys', '{keys}', '--grace', '1')

        async def body(s, init):
            async with anyio.create_task_group() as tg:
                async def spin():
                    try:
                        await s.call_tool('executeCode', {'code': 'while True:\n    pass'},
                                          progress_callback=lambda *a: None)
                    except BaseException:
                        pass
                tg.start_soon(spin)
                await anyio.sleep(1.5)
                t0 = time.monotonic()
                self.proc.send_signal(signal.SIGTERM)
                while self.proc.poll() is None and time.monotonic() - t0 < 30:
                    await anyio.sleep(0.1)
                tg.cancel_scope.cancel()
            return self.proc.returncode
        try:
            rc = anyio.run(lambda: self.session(body))
        except BaseException:
            rc = self.proc.wait(30)
        self.assertEqual(rc, 0, self.stderr().decode(errors='replace')[-2000:])

    def test_insecure_no_auth(self):
        self.tearDown()
        self.setUp('--insecure-no-auth')

        async def body(s, init):
            r = await s.call_tool('executeCommand', {'command': 'echo open'})
            self.assertEqual(r.structured_content['stdout'], 'open\n')
        # any token, or none, is accepted
        anyio.run(lambda: self.session(body, token='whatever:x'))
        init = {'jsonrpc': '2.0', 'id': 1, 'method': 'initialize',
                'params': {'protocolVersion': '2025-06-18', 'capabilities': {},
                           'clientInfo': {'name': 't', 'version': '1'}}}
        status, _, _ = self.raw('POST', init)
        self.assertEqual(status, 200)


if __name__ == '__main__':
    CLI = os.path.abspath(sys.argv[1])
    case = sys.argv[2]
    cls = {'sdk': [Sdk, Auto], 'cancel': [Cancel], 'progress': [Progress],
           'raw': [Raw, Lifetime], 'http': [Http]}[case]
    suite = unittest.TestSuite()
    for c in cls:
        suite.addTests(unittest.defaultTestLoader.loadTestsFromTestCase(c))
    ok = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite).wasSuccessful()
    sys.exit(0 if ok else 1)
