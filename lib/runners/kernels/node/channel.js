// SPDX-License-Identifier: MIT
/*
 * The requests and replies on the control channel (see
 * lib/core/runner_frame.h): on fd 3, frames of a 4-byte big-endian length and
 * a UTF-8 JSON object. Requests {"op": "execute", "id": n, "code": str,
 * "env"?: {name: value}, "cwd"?: str} (env and cwd: call_context.js);
 * replies {"id": n, "status": "ok"|"error", "exit_code": int,
 * "value": str|null, "error": {"name", "value", "traceback"}|null}. The
 * requests are run one at a time, in order; the kernel exits when the
 * channel closes.
 */
'use strict';

const net = require('net');
const { JSONstringify, JSONparse, BufferCtor } = require('./builtins');
const { safeString } = require('./format');
const { exitKernel } = require('./process_exit');

const CONTROL_FD = 3;

function wellFormed(s) {
    return typeof s === 'string' && typeof s.toWellFormed === 'function' ? s.toWellFormed() : s;
}

function encodeReply(reply) {
    const clean = {
        id: reply.id,
        status: reply.status,
        exit_code: reply.exit_code,
        value: reply.value === null ? null : wellFormed(reply.value),
        error: reply.error && {
            name: wellFormed(reply.error.name),
            value: wellFormed(reply.error.value),
            traceback: wellFormed(reply.error.traceback),
        },
    };
    const body = BufferCtor.from(JSONstringify(clean), 'utf8');
    const head = BufferCtor.alloc(4);
    head.writeUInt32BE(body.length, 0);
    return BufferCtor.concat([head, body]);
}

/* Serves the requests: execute(code, request) gives the reply to an
 * execute request (without its id). Returns the channel's socket. */
function serve(execute) {
    const ctl = new net.Socket({ fd: CONTROL_FD, readable: true, writable: true });
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
            reply.id = request ? request.id : null;
            ctl.write(encodeReply(reply));
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
