// SPDX-License-Identifier: MIT
/*
 * process.exit() ends the cell, not the kernel (like Python's SystemExit).
 */
'use strict';

// the kernel's own exit, taken before process.exit is replaced
const exitKernel = process.exit.bind(process);

class ProcessExit extends Error {
    constructor(code) {
        super(`process.exit(${code})`);
        this.exitCode = code;
    }
}
Object.defineProperty(ProcessExit.prototype, 'name', { value: 'ProcessExit' });

function exitStatus(code) {
    if (code === undefined || code === null)
        code = process.exitCode;
    const n = Number(code);
    return Number.isInteger(n) ? n & 0xff : (code === undefined || code === null ? 0 : 1);
}

process.exit = function exit(code) {
    throw new ProcessExit(exitStatus(code));
};

function isProcessExit(v) {
    try {
        return v instanceof ProcessExit;
    } catch {
        return false; // a proxy refusing getPrototypeOf
    }
}

module.exports = { exitKernel, exitStatus, isProcessExit };
