// SPDX-License-Identifier: MIT
/*
 * What a reply says of an error: its name, message and traceback.
 */
'use strict';

const { inspect } = require('./builtins');
const { safeString, safeInspect } = require('./format');
const { cellFrameOf, sourceContext } = require('./stack_traces');

/* The reply's error for a thrown value. */
function describeError(err) {
    try {
        return describeThrown(err);
    } catch {
        return { name: 'Error', value: '<an error that cannot be described>', traceback: '' };
    }
}

function describeThrown(err) {
    const isError = err !== null && typeof err === 'object' &&
        (err instanceof Error || (typeof err.stack === 'string' && 'message' in err));
    if (!isError) {
        return {
            name: 'Uncaught',
            value: typeof err === 'string' ? err : safeInspect(err),
            traceback: `Uncaught ${safeInspect(err)}`,
        };
    }
    let stack;
    try {
        stack = typeof err.stack === 'string' ? err.stack : safeString(err);
    } catch {
        stack = safeString(err);
    }
    let name;
    try {
        name = safeString(err.name || (err.constructor && err.constructor.name) || 'Error');
    } catch {
        name = 'Error';
    }
    let message;
    try {
        message = safeString(err.message);
    } catch {
        message = '';
    }
    let traceback;
    if (err.__codeinterpSyntax) {
        traceback = stack; // already carries its own source context
    } else {
        let where = cellFrameOf(err);
        if (!where) {
            // a stack a library assembled from other errors' stacks
            const m = /<cell (\d+)>:(\d+):(\d+)/.exec(stack);
            if (m)
                where = { cell: Number(m[1]), line: Number(m[2]), col: Number(m[3]) };
        }
        traceback = sourceContext(where) + stack;
        // after the stack, like node, the error's own fields (the simple ones:
        // code, errno, syscall, address...)
        try {
            const extra = {};
            let n = 0;
            for (const k of Object.keys(err)) {
                const v = err[k];
                if (k === 'message' || k === 'name' || k === 'stack' || n >= 20)
                    continue;
                if (v === null || ['string', 'number', 'boolean', 'bigint'].includes(typeof v)) {
                    extra[k] = v;
                    n++;
                }
            }
            if (n)
                traceback += ` ${inspect(extra, { breakLength: Infinity, maxStringLength: 200 })}`;
        } catch {
            // plain stack then
        }
    }
    return { name, value: message, traceback };
}

/* A SyntaxError thrown while compiling: V8 already put the line and a caret
 * in front of the stack; keep that part, not the frames of the compiler. */
function syntaxErrorFrom(err, cell) {
    const stack = typeof err.stack === 'string' ? err.stack : '';
    const cut = stack.indexOf('\n    at ');
    const head = cut >= 0 ? stack.slice(0, cut) : stack;
    return syntaxError(err.message, head || `<cell ${cell}>\n\nSyntaxError: ${err.message}`);
}

/* A SyntaxError whose stack is the given text, a source context and the
 * message, with no frames. */
function syntaxError(message, stack) {
    const e = new SyntaxError(message);
    Object.defineProperty(e, 'stack', { value: stack });
    Object.defineProperty(e, '__codeinterpSyntax', { value: true });
    return e;
}

module.exports = { describeError, syntaxErrorFrom, syntaxError };
