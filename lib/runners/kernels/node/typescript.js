// SPDX-License-Identifier: MIT
/*
 * TypeScript: each cell is first transpiled by esbuild's transform (types
 * stripped, no type checking) and stack positions are mapped back to the
 * cell's TypeScript source through esbuild's source map; .ts files in
 * /workspace can be required or imported. esbuild drops expression
 * statements it folds to an unused constant (`typeof undefined`), so such a
 * last expression gives no value in TypeScript.
 */
'use strict';

const fs = require('fs');
const Module = require('module');
const { tokenize, isName, isPunct, JSONparseSafe } = require('./tokenizer');
const { syntaxError } = require('./errors');
const { userRequire } = require('./globals');
const { keepSourceMap } = require('./stack_traces');

let esbuild = null;
const TS_OPTIONS = {
    loader: 'ts',
    target: 'node20',
    sourcemap: 'external',
    // keep every import, even those only used by a later cell
    tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
};

function esbuildError(e, cell, src) {
    const first = e && e.errors && e.errors[0];
    if (!first)
        return e;
    const loc = first.location;
    const text = first.text || 'syntax error';
    let head = `SyntaxError: ${text}`;
    if (loc) {
        const line = src.split(/\r\n|[\n\r\u2028\u2029]/)[loc.line - 1] || loc.lineText || '';
        head = `<cell ${cell}>:${loc.line}\n${line}\n${' '.repeat(loc.column)}^\n\n${head}`;
    }
    return syntaxError(text, head);
}

/* TypeScript to JavaScript: {code, lenient}, the source map kept for the
 * cell's stack traces; lenient lists import specifiers that only types use
 * (TypeScript would drop them). */
async function transpile(src, cell) {
    if (!esbuild)
        esbuild = userRequire('esbuild');
    const sourcefile = `<cell ${cell}>`;
    let out;
    try {
        out = await esbuild.transform(src, { ...TS_OPTIONS, sourcefile });
    } catch (e) {
        throw esbuildError(e, cell, src);
    }
    let lenient = null;
    if (/\bimport\b/.test(out.code)) {
        const specs = (code) => {
            const toks = tokenize(code);
            const set = new Set();
            for (let k = 0; k < toks.length; k++)
                if (isName(toks[k], 'import') && toks[k].depth === 0) {
                    for (let j = k + 1; j < toks.length && !isPunct(toks[j], ';'); j++)
                        if (toks[j].type === 'str') {
                            set.add(JSONparseSafe(toks[j].value));
                            break;
                        }
                }
            return set;
        };
        const all = specs(out.code);
        if (all.size) {
            const plain = await esbuild.transform(src, { loader: 'ts', target: 'node20', sourcefile });
            const used = specs(plain.code);
            lenient = new Set([...all].filter((s) => !used.has(s)));
        }
    }
    keepSourceMap(cell, out.map);
    return { code: out.code, lenient };
}

/* TypeScript kernels also require() (and import) .ts files, transpiled to
 * CommonJS the same way. */
function registerTsLoader() {
    Module._extensions['.ts'] = function loadTypeScript(module, filename) {
        if (!esbuild)
            esbuild = userRequire('esbuild');
        const source = fs.readFileSync(filename, 'utf8');
        const out = esbuild.transformSync(source, {
            loader: 'ts', format: 'cjs', target: 'node20', sourcemap: 'external', sourcefile: filename,
        });
        keepSourceMap(filename, out.map);
        module._compile(out.code, filename);
    };
}

module.exports = { transpile, registerTsLoader };
