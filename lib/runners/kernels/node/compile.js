// SPDX-License-Identifier: MIT
/*
 * A cell's JavaScript compiled as a script in the main realm, rewritten for
 * the persistent context (rewrite.js) when the rewrite compiles.
 */
'use strict';

const vm = require('vm');
const { rewrite, hasAwaitToken } = require('./rewrite');
const { syntaxErrorFrom } = require('./errors');

/* Compiles a cell: a runnable {run()} or a thrown SyntaxError. */
function compile(js, cell, lenient) {
    const filename = `<cell ${cell}>`;
    const compilePlain = (code) => {
        const script = new vm.Script(code, { filename });
        return { run: () => ({ value: script.runInThisContext({ displayErrors: false }) }) };
    };
    const compileAsync = (r) => {
        let header = '(async (__ci$g) => { void 0; ';
        for (const name of r.functions)
            header += `__ci$g.${name} = ${name}; `;
        const script = new vm.Script(`${header}${r.code}\n})`, {
            filename, columnOffset: -header.length,
        });
        return {
            run: () => {
                const fn = script.runInThisContext({ displayErrors: false });
                return { promise: fn(globalThis), returns: r.returns };
            },
        };
    };

    let asyncError = null;
    if (hasAwaitToken(js)) {
        for (const withValue of [true, false]) {
            const r = rewrite(js, true, lenient, withValue);
            try {
                return compileAsync(r);
            } catch (e) {
                asyncError = asyncError || e;
            }
            if (!r.returns)
                break;
        }
    }
    try {
        return compilePlain(rewrite(js, false, lenient, false).code);
    } catch {
        // try the cell as written, whose error is the user's own
    }
    try {
        return compilePlain(js);
    } catch (e) {
        if (!asyncError)
            throw syntaxErrorFrom(e, cell);
    }
    // the cell as written, as an async body, for an error in the user's terms
    try {
        new vm.Script(`(async () => {\n${js}\n})`, { filename, lineOffset: -1 });
    } catch (e) {
        throw syntaxErrorFrom(e, cell);
    }
    throw syntaxErrorFrom(asyncError, cell);
}

module.exports = { compile };
