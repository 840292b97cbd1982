// SPDX-License-Identifier: MIT
/*
 * What one execute request changes for its cell, as the Python kernel does
 * (python_kernel.py, CallContext): "env" {name: value} goes into
 * process.env and "cwd" becomes the working directory, both for the cell
 * only. They are put back once the cell's reply is ready, that is after
 * its promise and the work it waited for settled (run_cell.js), whether it
 * threw or not: a variable that did not exist is deleted again, one that
 * did gets its old value back. A cwd that cannot be entered fails the
 * request without running the cell.
 */
'use strict';

const { getSystemErrorMap } = require('util');
const { writeAllSync } = require('./stdio');

// The kernel's own references: a cell that replaces process.env,
// process.chdir or process.cwd must not break the kernel.
const env = process.env;
const chdir = process.chdir.bind(process);
const getcwd = process.cwd.bind(process);
const home = getcwd();
const hasOwn = (object, key) => Object.prototype.hasOwnProperty.call(object, key);

/* strerror()'s wording, as the Python kernel reports it: libuv gives
 * "no such file or directory" where the C library says "No such...". */
function reasonOf(e) {
    try {
        const known = typeof e.errno === 'number' && getSystemErrorMap().get(e.errno);
        if (known)
            return known[1].charAt(0).toUpperCase() + known[1].slice(1);
        return String(e && e.message);
    } catch {
        return 'unknown error';
    }
}

/* Sets the request's variables; returns the values they had (undefined:
 * none), for those actually set. */
function applyEnv(vars) {
    const saved = new Map();
    if (vars === null || typeof vars !== 'object' || Array.isArray(vars))
        return saved;
    for (const [name, value] of Object.entries(vars)) {
        if (typeof value !== 'string')
            continue;
        const old = hasOwn(env, name) ? env[name] : undefined;
        try {
            env[name] = value;
        } catch {
            continue;
        }
        if (env[name] === value && !saved.has(name)) // node ignores a name it cannot set
            saved.set(name, old);
    }
    return saved;
}

function restoreEnv(saved) {
    for (const [name, old] of saved) {
        try {
            if (old === undefined)
                delete env[name];
            else
                env[name] = old;
        } catch {
            // nothing better to do
        }
    }
}

/* Enters the request's cwd: {back}, the folder to go back to (null when
 * no cwd was asked for), or {refusal}, the reply when it cannot be entered. */
function enterCwd(cwd) {
    if (cwd === undefined || cwd === null)
        return { back: null };
    let back;
    try {
        back = getcwd();
    } catch {
        back = home; // the cwd of an earlier cell was removed
    }
    try {
        chdir(cwd);
    } catch (e) {
        const message = `cannot enter ${String(cwd)}: ${reasonOf(e)}`;
        writeAllSync(2, `codeinterp: ${message}\n`);
        return { refusal: { status: 'error', exit_code: 1, value: null,
            error: { name: 'WorkingDirectoryError', value: message, traceback: '' } } };
    }
    return { back };
}

function leaveCwd(back) {
    if (back === null)
        return;
    try {
        chdir(back);
    } catch {
        try {
            chdir(home);
        } catch {
            // the kernel stays where it is
        }
    }
}

/* Runs run() (a cell, giving its reply) in the request's env and cwd. */
async function withCallContext(request, run) {
    const saved = applyEnv(request.env);
    let back = null;
    try {
        const entered = enterCwd(request.cwd);
        if (entered.refusal)
            return entered.refusal;
        back = entered.back;
        return await run();
    } finally {
        leaveCwd(back);
        restoreEnv(saved);
    }
}

module.exports = { withCallContext };
