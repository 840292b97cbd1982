// SPDX-License-Identifier: MIT
/*
 * The requests and replies on the control channel (see
 * lib/core/runner_frame.h): on fd 3, frames of a 4-byte big-endian length and
 * a UTF-8 JSON object; first of all, the kernel greets with an empty frame.
 * Requests {"op": "execute", "id": n, "nonce": str,
 * "code": str, "env"?: {name: value}, "cwd"?: str} (env and cwd:
 * call_context.js); replies {"id": n, "nonce": the request's, "status":
 * "ok"|"error", "exit_code": int, "value": str|null, "error": {"name",
 * "value", "traceback"}|null}, at most REPLY_JSON_MAX bytes (the library's
 * bound, lib/core/runner_frame.h: its texts are cut to fit). The requests
 * are run one at a time, in order; the kernel exits when the channel
 * closes.
 */
'use strict';

const net = require('net');
const { JSONstringify, JSONparse, BufferCtor } = require('./builtins');
const { safeString } = require('./format');
const { exitKernel } = require('./process_exit');

const CONTROL_FD = 3;
const REPLY_JSON_MAX = 1 << 20;
// 6 bytes a character at worst (\u escapes), four texts: under the bound
const TEXT_CUT = 32 << 10;
// taken now: a cell may replace String.prototype.slice
const sliceOf = Function.prototype.call.bind(String.prototype.slice);

function wellFormed(s) {
    return typeof s === 'string' && typeof s.toWellFormed === 'function' ? s.toWellFormed() : s;
}

function cut(s) {
    if (typeof s !== 'string' || s.length <= TEXT_CUT)
        return s;
    return `${sliceOf(s, 0, TEXT_CUT)}\n[... cut: the reply's bound is ${REPLY_JSON_MAX} bytes]`;
}

function encodeReply(reply, request) {
    const text = (s, limit) => wellFormed(limit ? cut(s) : s);
    const clean = (limit) => ({
        id: request ? request.id : null,
        nonce: request && typeof request.nonce === 'string' ? request.nonce : null,
        status: reply.status,
        exit_code: reply.exit_code,
        value: reply.value === null ? null : text(reply.value, limit),
        error: reply.error && {
            name: text(reply.error.name, limit),
            value: text(reply.error.value, limit),
            traceback: text(reply.error.traceback, limit),
        },
    });
    let body = BufferCtor.from(JSONstringify(clean(false)), 'utf8');
    if (body.length > REPLY_JSON_MAX)
        body = BufferCtor.from(JSONstringify(clean(true)), 'utf8');
    const head = BufferCtor.alloc(4);
    head.writeUInt32BE(body.length, 0);
    return BufferCtor.concat([head, body]);
}

/* Serves the requests: execute(code, request) gives the reply to an
 * execute request (without its id). Returns the channel's socket. */
function serve(execute) {
    const ctl = new net.Socket({ fd: CONTROL_FD, readable: true, writable: true });
    // the greeting, before any cell runs: the library takes its writer for
    // the kernel and refuses bytes of any other process
    ctl.write(BufferCtor.alloc(4));
    const queue = [];
    let busy = false;

    const pump = async () => {
        if (busy)
            return;
        busy = true;
        while (queue.length) {
            const request = queue.shift();
            let reply;
            if (!request || request.op !== 'execute') {
                reply = { status: 'error', exit_code: 1, value: null,
                    error: { name: 'ProtocolError', value: 'unknown op', traceback: '' } };
            } else {
                try {
                    const code = typeof request.code === 'string' ? request.code : '';
                    reply = await execute(code, request);
                } catch (e) {
                    reply = { status: 'error', exit_code: 1, value: null,
                        error: { name: 'KernelError', value: safeString(e && e.message), traceback: safeString(e && e.stack) } };
                }
            }
            ctl.write(encodeReply(reply, request));
        }
        busy = false;
    };

    let chunks = [];
    let buffered = 0;
    let needed = 4;
    ctl.on('data', (chunk) => {
        // gather chunks until a whole frame is there (no copying per chunk)
        chunks.push(chunk);
        buffered += chunk.length;
        if (buffered < needed)
            return;
        let pending = chunks.length === 1 ? chunks[0] : BufferCtor.concat(chunks, buffered);
        chunks = [];
        buffered = 0;
        needed = 4;
        while (pending.length >= 4) {
            const len = pending.readUInt32BE(0);
            if (pending.length < 4 + len) {
                needed = 4 + len;
                break;
            }
            const body = pending.subarray(4, 4 + len).toString('utf8');
            pending = pending.subarray(4 + len);
            let request = null;
            try {
                request = JSONparse(body);
            } catch {
                request = null;
            }
            queue.push(request);
        }
        if (pending.length) {
            chunks.push(pending);
            buffered = pending.length;
        }
        pump();
    });
    ctl.on('end', () => exitKernel(0));
    ctl.on('close', () => exitKernel(0));
    ctl.on('error', () => exitKernel(0));
    return ctl;
}

module.exports = { serve };
