// SPDX-License-Identifier: MIT
/*
 * One cell, from its source to its reply. It ends when its code and what it
 * started are done (resources.js); an uncaught exception or unhandled
 * rejection ends it with an error; process.exit(n) ends it with exit code n
 * and keeps the kernel alive.
 */
'use strict';

const { PromiseCtor, realSetImmediate, realSetTimeout } = require('./builtins');
const { writeAllSync } = require('./stdio');
const { safeInspect } = require('./format');
const { describeError } = require('./errors');
const { exitStatus, isProcessExit } = require('./process_exit');
const { keepSource } = require('./stack_traces');
const { resourceCounts, busyBeyond } = require('./resources');
const { compile } = require('./compile');

const tick = () => new PromiseCtor((resolve) => realSetImmediate(resolve));
const pause = (ms) => new PromiseCtor((resolve) => realSetTimeout(resolve, ms).unref());

let cellCount = 0;
let current = null; // the running cell: {failure, wake}

function failCell(kind, value) {
    const cell = current;
    if (!cell || cell.failure)
        return false;
    cell.failure = { kind, value };
    cell.wake();
    return true;
}

process.on('uncaughtException', (err) => {
    if (failCell('throw', err))
        return;
    if (isProcessExit(err))
        return; // process.exit() from a callback between cells
    const d = describeError(err);
    writeAllSync(2, `Uncaught ${d.traceback}\n`);
});
process.on('unhandledRejection', (reason) => {
    if (failCell('throw', reason))
        return;
    if (isProcessExit(reason))
        return;
    const d = describeError(reason);
    writeAllSync(2, `Uncaught (in promise) ${d.traceback}\n`);
});

/* Runs a cell and returns its reply (without id). transpile: the cell's
 * language to JavaScript (typescript.js), or null for JavaScript. */
async function runCell(code, transpile) {
    const cell = ++cellCount;
    const reply = { status: 'ok', exit_code: 0, value: null, error: null };
    keepSource(cell, code);
    let wake;
    const woken = new PromiseCtor((resolve) => { wake = resolve; });
    current = { failure: null, wake };
    let outcome = null; // {value} or {thrown}
    try {
        let js = code;
        let lenient = null;
        if (transpile) {
            const t = await transpile(code, cell);
            js = t.code;
            lenient = t.lenient;
        }
        const unit = compile(js, cell, lenient);
        const baseline = resourceCounts();
        const started = unit.run();
        if (started.promise) {
            const done = started.promise.then((v) => ({ value: started.returns && v ? v.value : undefined }),
                (e) => ({ thrown: e }));
            outcome = await PromiseCtor.race([done, woken.then(() => null)]);
        } else {
            outcome = { value: started.value };
        }
        // let rejections nobody handled surface, then wait for what the cell
        // started (timers, requests, sockets, child processes)
        await tick();
        let wait = 1;
        while (!current.failure && outcome && !('thrown' in outcome) && busyBeyond(baseline)) {
            await PromiseCtor.race([pause(wait), woken]);
            wait = Math.min(wait * 2, 20);
        }
    } catch (e) {
        outcome = { thrown: e };
    }
    const failure = current.failure;
    current = null;
    const thrown = outcome && 'thrown' in outcome ? outcome.thrown : failure ? failure.value : undefined;
    const failed = (outcome && 'thrown' in outcome) || failure;

    if (failed && isProcessExit(thrown)) {
        const code = thrown.exitCode;
        if (code !== 0) {
            reply.status = 'error';
            reply.exit_code = code;
            reply.error = { name: 'ProcessExit', value: String(code), traceback: '' };
        }
    } else if (failed) {
        const d = describeError(thrown);
        writeAllSync(2, `${d.traceback}\n`);
        reply.status = 'error';
        reply.exit_code = 1;
        reply.error = d;
    } else {
        if (outcome && outcome.value !== undefined)
            reply.value = safeInspect(outcome.value);
        const ec = exitStatus(process.exitCode);
        if (ec !== 0) {
            reply.status = 'error';
            reply.exit_code = ec;
            reply.error = { name: 'ProcessExit', value: String(ec), traceback: '' };
        }
    }
    try {
        process.exitCode = undefined;
    } catch {
        // an older node refusing undefined
    }
    return reply;
}

module.exports = { runCell };
