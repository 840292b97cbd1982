// SPDX-License-Identifier: MIT
/*
 * libcodeinterp's JavaScript and TypeScript kernel: runs cells sent by the
 * library, inside the sandbox, on node.
 *
 * Protocol (see lib/core/runner_frame.h): on fd 3, frames of a 4-byte
 * big-endian length and a UTF-8 JSON object. Requests {"op": "execute",
 * "id": n, "code": str}; replies {"id": n, "status": "ok"|"error",
 * "exit_code": int, "value": str|null, "error": {"name", "value",
 * "traceback"}|null}. stdout and stderr are the process's own fds 1 and 2,
 * written synchronously, so everything a cell printed is in the pipes before
 * its reply is sent.
 *
 * Started with --typescript, each cell is first transpiled by esbuild's
 * transform (types stripped, no type checking) and stack positions are mapped
 * back to the cell's TypeScript source through esbuild's source map; .ts
 * files in /workspace can be required or imported. esbuild drops expression
 * statements it folds to an unused constant (`typeof undefined`), so such a
 * last expression gives no value in TypeScript.
 *
 * The persistent context: every cell runs in the kernel's own (main) realm,
 * so objects from cells and from require()d libraries share one set of
 * builtins. A cell is tokenized (not fully parsed) to find its top-level
 * statements; then
 *  - without `await`, it runs as a classic script whose top-level
 *    `const`/`let` became `var` and `class C` became `var C = class C`, so
 *    every declaration lands on the global object and may be declared again
 *    by a later cell; the script's completion value is the cell's value, as
 *    in the node REPL;
 *  - with `await`, it runs as the body of an async arrow function: top-level
 *    declarations become (sloppy-mode) assignments to globals, function
 *    declarations are copied to the global object on entry, and a final
 *    expression statement is returned as the value.
 * ES `import` declarations become require() calls (esModuleInterop style:
 * the default export of a CommonJS module is module.exports) and `import()`
 * resolves bare names like require() does (NODE_PATH). The rewriting keeps
 * every line where it was, so stack line numbers are the user's. V8 checks
 * each candidate: a rewrite that does not compile falls back to the cell as
 * written.
 *
 * A cell ends when its code has finished and the timers, requests, child
 * processes and busy sockets (connecting, writing, or carrying an HTTP
 * request) it started are done, as `node -e` would wait for them; intervals,
 * listening servers and idle connections keep running between cells
 * without holding one. An uncaught exception or unhandled rejection ends it
 * with an error; process.exit(n) ends it with exit code n and keeps the
 * kernel alive.
 */
'use strict';

const fs = require('fs');
const net = require('net');
const path = require('path');
const util = require('util');
const vm = require('vm');
const timers = require('timers');
const Module = require('module');
const { pathToFileURL } = require('url');

const CONTROL_FD = 3;
const KERNEL_FILE = __filename;
const TYPESCRIPT = process.argv.includes('--typescript');
const KEPT_CELLS = 200; // sources and source maps kept for stack traces

// Builtins the kernel relies on, taken before any user code can replace them.
const JSONstringify = JSON.stringify;
const JSONparse = JSON.parse;
const ErrorToString = Error.prototype.toString;
const realExit = process.exit.bind(process);
const realSetImmediate = setImmediate;
const realSetTimeout = timers.setTimeout;
const realSetInterval = timers.setInterval;
const PromiseCtor = Promise;
const BufferCtor = Buffer;
const inspect = util.inspect;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/* ------------------------------------------------------------ stdout/stderr */

function writeAllSync(fd, data) {
    const buf = typeof data === 'string' ? BufferCtor.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) {
        try {
            off += fs.writeSync(fd, buf, off, buf.length - off);
        } catch (e) {
            if (e.code === 'EAGAIN') {
                // someone made the pipe non-blocking (a child node process
                // sharing it): wait for the library to read
                Atomics.wait(sleepCell, 0, 0, 1);
                continue;
            }
            return; // EPIPE and the like: the output has nowhere to go
        }
    }
}

function makeStdio(fd) {
    const { Writable } = require('stream');
    const stream = new Writable({
        decodeStrings: false,
        write(chunk, encoding, callback) {
            writeAllSync(fd, typeof chunk === 'string' ? BufferCtor.from(chunk, encoding) : chunk);
            callback();
        },
        writev(chunks, callback) {
            for (const c of chunks)
                writeAllSync(fd, typeof c.chunk === 'string' ? BufferCtor.from(c.chunk, c.encoding) : c.chunk);
            callback();
        },
    });
    stream.fd = fd;
    stream.isTTY = false;
    stream._type = 'pipe';
    stream._isStdio = true;
    // fds 1 and 2 stay usable whatever a cell does with the streams
    stream.end = function end(chunk, encoding, callback) {
        if (typeof chunk === 'function')
            callback = chunk;
        else if (chunk !== undefined && chunk !== null)
            this.write(chunk, typeof encoding === 'string' ? encoding : undefined);
        if (typeof callback === 'function')
            process.nextTick(callback);
        else if (typeof encoding === 'function')
            process.nextTick(encoding);
        return this;
    };
    stream.destroy = function destroy() {
        return this;
    };
    stream.destroySoon = stream.destroy;
    stream.getColorDepth = () => 1;
    stream.hasColors = () => false;
    return stream;
}

const stdout = makeStdio(1);
const stderr = makeStdio(2);
for (const [name, stream] of [['stdout', stdout], ['stderr', stderr]])
    Object.defineProperty(process, name, {
        configurable: true, enumerable: false, get: () => stream,
    });
globalThis.console = new console.Console({ stdout, stderr, colorMode: false });

/* ----------------------------------------------------------- the tokenizer */

const ID_START = /[\p{ID_Start}$_\\]/u;
const ID_PART = /[\p{ID_Continue}$\u200c\u200d\\]/u;
const PUNCTUATORS = [
    '>>>=', '...', '===', '!==', '**=', '<<=', '>>=', '>>>', '&&=', '||=', '??=',
    '=>', '==', '!=', '<=', '>=', '&&', '||', '??', '?.', '++', '--', '+=', '-=', '*=',
    '/=', '%=', '&=', '|=', '^=', '**', '<<', '>>',
];
// after these keywords a `/` starts a regular expression
const REGEX_AFTER = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete',
    'void', 'throw', 'case', 'do', 'else', 'yield', 'await', 'extends']);
// names that cannot be the last token of an expression
const NOT_ENDING = new Set(['break', 'case', 'catch', 'class', 'const', 'continue', 'debugger',
    'default', 'delete', 'do', 'else', 'export', 'extends', 'finally', 'for', 'function', 'if',
    'import', 'in', 'instanceof', 'new', 'return', 'switch', 'throw', 'try', 'typeof', 'var',
    'void', 'while', 'with', 'yield', 'let', 'await', 'enum']);
// names that continue the statement before them when they start a line
const CONTINUING = new Set(['in', 'instanceof', 'else', 'catch', 'finally', 'as', 'satisfies']);
const CONTROL_HEADS = new Set(['if', 'while', 'for', 'with', 'switch', 'catch']);
const STATEMENT_KEYWORDS = new Set(['if', 'for', 'while', 'do', 'switch', 'try', 'throw',
    'return', 'var', 'const', 'function', 'class', 'import', 'export', 'break', 'continue',
    'debugger', 'with', 'enum']);

function isLineBreak(c) {
    return c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
}

/*
 * Splits source into tokens {type, value, start, end, nl, depth}: type is
 * name, num, str, regex, tmpl (a whole template or its last part), tmplHead
 * (up to the first `${`), tmplMid, priv or punct; nl tells whether a line
 * break precedes the token; depth counts the brackets around it (an opening
 * bracket and its closing one have the depth of their outside).
 */
let lastTokenized = { src: null, toks: null };

/* tokenize() of the same source again (a cell is rewritten up to 3 ways) */
function tokensOf(src) {
    if (lastTokenized.src !== src)
        lastTokenized = { src, toks: tokenize(src) };
    return lastTokenized.toks;
}

function isIdChar(c) {
    return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 36 || c === 95;
}

const PUNCT_SET = new Set(PUNCTUATORS);

function tokenize(src) {
    const toks = [];
    const n = src.length;
    const braces = []; // '{' or '${' for each open curly brace
    const parens = []; // for each open '(' whether it heads a control statement
    let i = 0;
    let depth = 0;
    let nl = false;

    if (src.startsWith('#!')) {
        while (i < n && !isLineBreak(src.charCodeAt(i)))
            i++;
    }
    const scanTemplate = (from) => {
        // from: just after '`' or the '}' closing a substitution
        let j = from;
        while (j < n) {
            const ch = src[j];
            if (ch === '\\') {
                j += 2;
            } else if (ch === '`') {
                return { end: j + 1, open: false };
            } else if (ch === '$' && src[j + 1] === '{') {
                return { end: j + 2, open: true };
            } else {
                j++;
            }
        }
        return { end: n, open: false };
    };

    while (i < n) {
        const c = src.charCodeAt(i);
        if (isLineBreak(c)) {
            nl = true;
            i++;
            continue;
        }
        if (c === 32 || c === 9 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff ||
            (c > 127 && /\s/.test(src[i]))) {
            i++;
            continue;
        }
        if (c === 47 && src.charCodeAt(i + 1) === 47) { // line comment
            while (i < n && !isLineBreak(src.charCodeAt(i)))
                i++;
            continue;
        }
        if (c === 47 && src.charCodeAt(i + 1) === 42) { // block comment
            const e = src.indexOf('*/', i + 2);
            const stop = e < 0 ? n : e + 2;
            if (/[\n\r\u2028\u2029]/.test(src.slice(i, stop)))
                nl = true;
            i = stop;
            continue;
        }
        const start = i;
        const prev = toks.length ? toks[toks.length - 1] : null;
        let type = 'punct';
        let tokDepth = depth;
        const ch = src[i];
        if ((isIdChar(c) && !(c >= 48 && c <= 57)) ||
            (c > 127 && (ID_START.test(ch) || (c >= 0xd800 && c <= 0xdbff && ID_START.test(src.slice(i, i + 2))))) ||
            c === 92) {
            i += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
            while (i < n) {
                const cc = src.charCodeAt(i);
                if (isIdChar(cc))
                    i++;
                else if (cc < 128 && cc !== 92)
                    break;
                else if (cc >= 0xd800 && cc <= 0xdbff && ID_PART.test(src.slice(i, i + 2)))
                    i += 2;
                else if (ID_PART.test(src[i]))
                    i += src[i] === '\\' ? 2 : 1;
                else
                    break;
            }
            type = 'name';
        } else if ((c >= 48 && c <= 57) || (c === 46 && /[0-9]/.test(src[i + 1] || ''))) {
            i++;
            while (i < n) {
                const d = src[i];
                const dc = src.charCodeAt(i);
                if ((isIdChar(dc) && dc !== 36) || dc === 46) {
                    i++;
                } else if ((d === '+' || d === '-') && /[eE]/.test(src[i - 1]) &&
                           !/^0[xX]/.test(src.slice(start, i))) {
                    i++;
                } else {
                    break;
                }
            }
            type = 'num';
        } else if (ch === '"' || ch === "'") {
            i++;
            while (i < n) {
                const d = src.charCodeAt(i);
                if (d === c || d === 10 || d === 13 || d === 0x2028 || d === 0x2029)
                    break;
                i += d === 92 ? 2 : 1; // a backslash escapes the next one
            }
            i = Math.min(i, n);
            if (src.charCodeAt(i) === c)
                i++;
            type = 'str';
        } else if (ch === '`') {
            const t = scanTemplate(i + 1);
            i = t.end;
            if (t.open) {
                type = 'tmplHead';
                braces.push('${');
                depth++;
            } else {
                type = 'tmpl';
            }
        } else if (ch === '}' && braces.length && braces[braces.length - 1] === '${') {
            braces.pop();
            depth = Math.max(0, depth - 1);
            tokDepth = depth;
            const t = scanTemplate(i + 1);
            i = t.end;
            if (t.open) {
                type = 'tmplMid';
                braces.push('${');
                depth++;
            } else {
                type = 'tmpl';
            }
        } else if (ch === '#' && ID_START.test(src[i + 1] || '')) {
            i++;
            while (i < n && ID_PART.test(src[i]))
                i++;
            type = 'priv';
        } else if (ch === '/' && regexAllowed(prev)) {
            let j = i + 1;
            let inClass = false;
            while (j < n && !isLineBreak(src.charCodeAt(j))) {
                const d = src[j];
                if (d === '\\') {
                    j += 2;
                    continue;
                }
                if (d === '[')
                    inClass = true;
                else if (d === ']')
                    inClass = false;
                else if (d === '/' && !inClass)
                    break;
                j++;
            }
            if (j < n && src[j] === '/') {
                j++;
                while (j < n && ID_PART.test(src[j]))
                    j++;
                i = j;
                type = 'regex';
            } else {
                i++; // not a regular expression after all
            }
        } else {
            let p = null;
            for (let len = 4; len >= 2 && !p; len--) {
                const cand = src.substr(i, len);
                if (PUNCT_SET.has(cand))
                    p = cand;
            }
            if (p === '?.' && /[0-9]/.test(src[i + 2] || ''))
                p = null;
            i += p ? p.length : 1;
        }
        const tok = { type, value: src.slice(start, i), start, end: i, nl, depth: tokDepth };
        if (type === 'punct') {
            const v = tok.value;
            if (v === '(' || v === '[' || v === '{') {
                if (v === '{')
                    braces.push('{');
                if (v === '(') {
                    const head = prev && prev.type === 'name' && (CONTROL_HEADS.has(prev.value) ||
                        (prev.value === 'await' && toks.length > 1 &&
                         toks[toks.length - 2].value === 'for'));
                    parens.push(!!head);
                }
                depth++;
            } else if (v === ')' || v === ']' || v === '}') {
                if (v === '}' && braces.length)
                    braces.pop();
                if (v === ')' && parens.length && parens.pop())
                    tok.control = true;
                depth = Math.max(0, depth - 1);
                tok.depth = depth;
            }
        }
        toks.push(tok);
        nl = false;
    }
    return toks;
}

function regexAllowed(prev) {
    if (!prev)
        return true;
    switch (prev.type) {
    case 'num': case 'str': case 'regex': case 'tmpl': case 'priv':
        return false;
    case 'name':
        return REGEX_AFTER.has(prev.value);
    case 'punct':
        if (prev.value === ')')
            return !!prev.control;
        return !(prev.value === ']' || prev.value === '++' || prev.value === '--');
    default:
        return true; // tmplHead, tmplMid: inside a substitution
    }
}

function endsExpression(t) {
    switch (t.type) {
    case 'num': case 'str': case 'regex': case 'tmpl': case 'priv':
        return true;
    case 'name':
        return !NOT_ENDING.has(t.value);
    case 'punct':
        return (t.value === ')' && !t.control) || t.value === ']' || t.value === '}' ||
               t.value === '++' || t.value === '--';
    default:
        return false;
    }
}

function continuesStatement(t, stmt) {
    switch (t.type) {
    case 'tmpl': case 'tmplHead':
        return true; // a tagged template
    case 'name':
        if (t.value === 'while' && stmt.pendingDo > 0) {
            stmt.pendingDo--;
            return true;
        }
        return CONTINUING.has(t.value);
    case 'punct':
        return !(t.value === '{' || t.value === '!' || t.value === '~' || t.value === '++' ||
                 t.value === '--' || t.value === '@');
    default:
        return false;
    }
}

function isModuleClause(toks, k) {
    const t = toks[k];
    const nx = toks[k + 1];
    if (isName(t, 'import'))
        return !!nx && !isPunct(nx, '(') && !isPunct(nx, '.');
    return isName(t, 'export') && !!nx && (isPunct(nx, '{') || isPunct(nx, '*'));
}

/* Top-level statements as token index ranges {first, last}, following the
 * automatic semicolon insertion rules closely enough for our rewrites (V8
 * checks the result). */
function splitStatements(toks) {
    const stmts = [];
    let cur = null;
    for (let k = 0; k < toks.length; k++) {
        const t = toks[k];
        if (t.depth !== 0 || !cur) {
            if (!cur)
                cur = { first: k, last: k, pendingDo: 0 };
            noteToken(toks, cur, k);
            continue;
        }
        const p = toks[k - 1];
        const cont = continuesStatement(t, cur);
        // else, catch, finally, the while of a do: part of the statement even
        // after a `;` or a block
        const keywordCont = cont && t.type === 'name' && KEYWORD_CONTINUATIONS.has(t.value);
        if (keywordCont && t.value === 'while') {
            // the condition of a do-while ends the statement: no body follows
            for (let j = k + 1; j < toks.length; j++)
                if (toks[j].depth === 0 && isPunct(toks[j], ')')) {
                    toks[j].control = false;
                    break;
                }
        }
        let boundary;
        if (p.type === 'punct' && p.value === ';') {
            boundary = !keywordCont;
        } else if (isModuleClause(toks, cur.first)) {
            // `import {a} from 'm'`, `export {a}`: the braces do not end it
            boundary = t.nl && !isName(t, 'from') && !isName(t, 'with') && !isName(t, 'assert') &&
                (p.type === 'str' || isPunct(p, '}'));
        } else if (t.nl && p.type === 'name' &&
                   (p.value === 'return' || p.value === 'break' || p.value === 'continue')) {
            boundary = true;
        } else if (p.blockClose) {
            // a statement's block or a declaration's body: `function f() {}`
            // then `[1].map(...)` is a new statement
            boundary = !keywordCont;
        } else if (cont) {
            boundary = false;
        } else if (p.type === 'punct' && p.value === '}') {
            boundary = true;
        } else {
            boundary = t.nl && endsExpression(p);
        }
        if (boundary) {
            stmts.push(cur);
            cur = { first: k, last: k, pendingDo: 0 };
        }
        noteToken(toks, cur, k);
    }
    if (cur)
        stmts.push(cur);
    return stmts;
}

const KEYWORD_CONTINUATIONS = new Set(['else', 'catch', 'finally', 'while']);
const BLOCK_AFTER = new Set(['else', 'try', 'finally', 'do']);

/* Whether the statement at toks[first] declares a function or a class. */
function isDeclaration(toks, first) {
    let k = first;
    if (isName(toks[k], 'export')) {
        k++;
        if (isName(toks[k], 'default'))
            k++;
    }
    if (isName(toks[k], 'async') && isName(toks[k + 1], 'function'))
        return true;
    return isName(toks[k], 'function') || isName(toks[k], 'class');
}

/* Adds toks[k] to the statement; marks the closing braces of blocks and of
 * function and class declarations (blockClose). */
function noteToken(toks, cur, k) {
    const t = toks[k];
    cur.last = k;
    if (t.depth !== 0 || t.type !== 'punct' && t.type !== 'name')
        return;
    if (isName(t, 'do')) {
        cur.pendingDo++;
    } else if (isPunct(t, '{')) {
        const p = k > cur.first ? toks[k - 1] : null;
        let block = !p || (isPunct(p, ')') && p.control) ||
            (p.type === 'name' && BLOCK_AFTER.has(p.value)) ||
            (isPunct(p, ':') && k === cur.first + 2 && toks[cur.first].type === 'name');
        if (!block && !cur.declBody && isDeclaration(toks, cur.first)) {
            block = true;
            cur.declBody = true;
        }
        cur.openBlock = block;
    } else if (isPunct(t, '}')) {
        t.blockClose = !!cur.openBlock;
        cur.openBlock = false;
    }
}

/* ---------------------------------------------------------- the rewriting */

const isName = (t, v) => t && t.type === 'name' && (v === undefined || t.value === v);
const isPunct = (t, v) => t && t.type === 'punct' && t.value === v;

class Edits {
    constructor(src) {
        this.src = src;
        this.list = [];
    }
    // replaces [start, end) by text, keeping the number of line breaks
    replace(start, end, text) {
        const lost = (this.src.slice(start, end).match(/\r\n|[\n\r\u2028\u2029]/g) || []).length;
        const added = (text.match(/\r\n|[\n\r\u2028\u2029]/g) || []).length;
        this.list.push({ start, end, text: text + '\n'.repeat(Math.max(0, lost - added)) });
    }
    insert(pos, text) {
        this.list.push({ start: pos, end: pos, text });
    }
    apply() {
        const sorted = this.list.map((e, k) => ({ ...e, k }))
            .sort((a, b) => a.start - b.start || a.k - b.k);
        let out = '';
        let pos = 0;
        for (const e of sorted) {
            if (e.start < pos)
                continue; // overlapping edit: keep the first
            out += this.src.slice(pos, e.start) + e.text;
            pos = e.end;
        }
        return out + this.src.slice(pos);
    }
}

const blank = (s) => s.replace(/[^\n\r\u2028\u2029]/g, ' ');

/* Parses `import ...` at toks[k]; returns {bindings, spec, end} or null.
 * bindings: {def, ns, named: [[imported, local]]}. */
function parseImport(toks, k, last) {
    let j = k + 1;
    const b = { def: null, ns: null, named: [] };
    const t = () => (j <= last ? toks[j] : null);
    if (t() && t().type === 'str') {
        const spec = t().value;
        return { bindings: null, spec, end: j };
    }
    if (isName(t()) && t().value !== 'from' && !isPunct(toks[j + 1], '=')) {
        b.def = t().value;
        j++;
        if (isPunct(t(), ','))
            j++;
    } else if (isName(t(), 'from') && isName(toks[j + 1], 'from')) {
        b.def = 'from';
        j++;
        if (isPunct(t(), ','))
            j++;
    }
    if (isPunct(t(), '*')) {
        j++;
        if (!isName(t(), 'as'))
            return null;
        j++;
        if (!isName(t()))
            return null;
        b.ns = t().value;
        j++;
    } else if (isPunct(t(), '{')) {
        j++;
        while (t() && !isPunct(t(), '}')) {
            if (isName(t(), 'type') && (isName(toks[j + 1]) || toks[j + 1].type === 'str') &&
                !isName(toks[j + 1], 'as')) {
                j += 2; // TypeScript `type X` inside the braces: nothing at run time
                if (isName(t(), 'as'))
                    j += 2;
            } else {
                const imported = t().value;
                j++;
                let local = imported;
                if (isName(t(), 'as')) {
                    j++;
                    local = t().value;
                    j++;
                }
                b.named.push([imported, local]);
            }
            if (isPunct(t(), ','))
                j++;
            else if (!isPunct(t(), '}'))
                return null;
        }
        if (!t())
            return null;
        j++;
    }
    if (!isName(t(), 'from'))
        return null;
    j++;
    if (!t() || t().type !== 'str')
        return null;
    return { bindings: b, spec: t().value, end: j };
}

/* The code for an import: `var` declarations (plain scripts) or assignments
 * (async bodies); one line. */
function importCode(imp, tla, lenient) {
    const call = `__codeinterp.imp(${imp.spec}${lenient ? ', true' : ''})`;
    const b = imp.bindings;
    if (!b)
        return `${call};`;
    const parts = [];
    if (b.ns) {
        parts.push(`${b.ns} = ${call}`);
        if (b.def)
            parts.push(`${b.def} = ${b.ns}.default`);
    } else {
        const props = [];
        if (b.def)
            props.push(`default: ${b.def}`);
        for (const [imported, local] of b.named)
            props.push(imported === local ? local : `${imported}: ${local}`);
        parts.push(`{ ${props.join(', ')} } = ${call}`);
    }
    return tla ? `void (${parts.join(', ')});` : `var ${parts.join(', ')};`;
}

/*
 * Rewrites a cell. tla: as the body of an async function (see the header).
 * lenientSpecs: import specifiers whose absence is not an error (TypeScript
 * imports only used as types); withValue: return a final expression
 * statement's value (async bodies). Returns {code, functions, returns}.
 */
function rewrite(src, tla, lenientSpecs, withValue) {
    const toks = tokensOf(src);
    const edits = new Edits(src);
    const functions = [];
    let returns = false;
    if (src.startsWith('#!'))
        edits.replace(0, src.search(/[\n\r\u2028\u2029]|$/), '');

    // import() anywhere: resolve like require (NODE_PATH, /workspace)
    for (let k = 0; k < toks.length; k++) {
        const t = toks[k];
        if (isName(t, 'import') && isPunct(toks[k + 1], '(') &&
            !(k > 0 && (isPunct(toks[k - 1], '.') || isPunct(toks[k - 1], '?.'))) &&
            !isMethodName(toks, k))
            edits.replace(t.start, t.end, '__codeinterp.dynImport');
    }

    const stmts = splitStatements(toks);
    let lastExpr = -1;
    for (let s = 0; s < stmts.length; s++) {
        const { last } = stmts[s];
        let first = stmts[s].first;
        let f = toks[first];
        const endTok = isPunct(toks[last], ';') && last > first ? toks[last - 1] : toks[last];
        lastExpr = -1;

        if (isName(f, 'export')) {
            const nx = toks[first + 1];
            if (isPunct(nx, '{') || isPunct(nx, '*')) {
                edits.replace(f.start, toks[last].end, blank(src.slice(f.start, toks[last].end)));
                continue;
            }
            if (isName(nx, 'default')) {
                edits.replace(f.start, nx.end, blank(src.slice(f.start, nx.end)));
                first += 2;
            } else {
                edits.replace(f.start, f.end, blank(f.value));
                first += 1;
            }
            if (first > last)
                continue;
            f = toks[first];
        }

        if (isName(f, 'import') && !isPunct(toks[first + 1], '(') && !isPunct(toks[first + 1], '.')) {
            const imp = parseImport(toks, first, last);
            if (imp) {
                const spec = JSONparseSafe(imp.spec);
                const lenient = lenientSpecs && lenientSpecs.has(spec);
                edits.replace(f.start, toks[last].end, importCode(imp, tla, lenient));
            }
            continue;
        }

        const nx = toks[first + 1];
        const isLet = isName(f, 'let') && nx && first + 1 <= last &&
            (isName(nx) || isPunct(nx, '[') || isPunct(nx, '{'));
        if (isName(f, 'const') || isName(f, 'var') || isLet) {
            if (!tla) {
                if (f.value === 'const')
                    edits.replace(f.start, f.end, 'var  ');
                else if (f.value === 'let')
                    edits.replace(f.start, f.end, 'var');
                continue;
            }
            // `void (a = 1, {b} = o, c = undefined)`
            edits.replace(f.start, f.end, 'void (');
            let declStart = first + 1;
            const lastIdx = toks.indexOf(endTok, first);
            for (let k = first + 1; k <= lastIdx + 1; k++) {
                const t = toks[k];
                if (k === lastIdx + 1 || (t.depth === 0 && isPunct(t, ','))) {
                    let hasInit = false;
                    for (let q = declStart; q < k; q++)
                        if (toks[q].depth === 0 && isPunct(toks[q], '='))
                            hasInit = true;
                    if (!hasInit && k - 1 >= declStart)
                        edits.insert(toks[k - 1].end, ' = undefined');
                    declStart = k + 1;
                }
            }
            edits.insert(endTok.end, ')');
            continue;
        }

        if (isName(f, 'class') && isName(nx) && nx.value !== 'extends') {
            let k = first + 2;
            while (k <= last && !(toks[k].depth === 0 && isPunct(toks[k], '{')))
                k++;
            let m = k + 1;
            while (m <= last && !(toks[m].depth === 0 && isPunct(toks[m], '}')))
                m++;
            if (m <= last) {
                edits.insert(f.start, tla ? `${nx.value} = ` : `var ${nx.value} = `);
                edits.insert(toks[m].end, ';');
            }
            continue;
        }

        let fn = first;
        if (isName(f, 'async') && isName(toks[first + 1], 'function') && !toks[first + 1].nl)
            fn = first + 1;
        if (isName(toks[fn], 'function')) {
            let k = fn + 1;
            if (isPunct(toks[k], '*'))
                k++;
            if (isName(toks[k]))
                functions.push(toks[k].value);
            continue;
        }

        // an expression statement?
        if (f.type === 'name' && (STATEMENT_KEYWORDS.has(f.value) || isPunct(nx, ':')))
            continue;
        if (f.type === 'punct' && (f.value === '{' || f.value === ';'))
            continue;
        lastExpr = s;
    }

    if (tla && withValue && lastExpr >= 0 && lastExpr === stmts.length - 1) {
        const { first, last } = stmts[lastExpr];
        const endTok = isPunct(toks[last], ';') && last > first ? toks[last - 1] : toks[last];
        edits.insert(toks[first].start, 'return { value: (');
        edits.insert(endTok.end, ') }');
        returns = true;
    }
    return { code: edits.apply(), functions, returns };
}

/* Whether the name at toks[k], followed by '(', names a method being
 * defined (`import(a) {`) rather than called. */
function isMethodName(toks, k) {
    const open = toks[k + 1];
    for (let j = k + 2; j < toks.length; j++)
        if (toks[j].depth === open.depth && isPunct(toks[j], ')'))
            return isPunct(toks[j + 1], '{');
    return false;
}

function JSONparseSafe(s) {
    try {
        return JSONparse(s[0] === "'" ? '"' + s.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"') + '"' : s);
    } catch {
        return s.slice(1, -1);
    }
}

function hasAwaitToken(src) {
    if (!/\bawait\b/.test(src))
        return false;
    const toks = tokensOf(src);
    return toks.some((t, k) => isName(t, 'await') && !(k > 0 && isPunct(toks[k - 1], '.')));
}

/* ------------------------------------------------------------ the context */

const cwd = process.cwd();
const userFilename = path.join(cwd, '<repl>');
const userRequire = Module.createRequire(userFilename);
const userModule = new Module(userFilename, null);
userModule.filename = userFilename;
userModule.paths = Module._nodeModulePaths(cwd);
userModule.loaded = true;

function defineGlobal(name, value) {
    Object.defineProperty(globalThis, name, {
        configurable: true, writable: true, enumerable: false, value,
    });
}

defineGlobal('require', userRequire);
defineGlobal('module', userModule);
defineGlobal('exports', userModule.exports);
defineGlobal('__filename', userFilename);
defineGlobal('__dirname', cwd);

// Built-in modules as globals, loaded on first use (as in `node -e`).
for (const name of Module.builtinModules) {
    if (name.startsWith('_') || name.includes('/') || name in globalThis)
        continue;
    Object.defineProperty(globalThis, name, {
        configurable: true,
        enumerable: false,
        get() {
            const value = require(name);
            defineGlobal(name, value);
            return value;
        },
        set(value) {
            defineGlobal(name, value);
        },
    });
}

/* The namespace an `import` of spec sees: an ES-compiled module as it is,
 * a CommonJS one with module.exports as its default export. */
function importNamespace(spec, lenient) {
    let m;
    try {
        m = userRequire(spec);
    } catch (e) {
        if (lenient && e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes(`'${spec}'`))
            return Object.create(null);
        if (e && e.code === 'ERR_REQUIRE_ESM')
            e.message += `\n(an ES module: load it with \`await import('${spec}')\`)`;
        throw e;
    }
    if (m && m.__esModule)
        return m;
    if ((typeof m === 'object' && m !== null) || typeof m === 'function') {
        return new Proxy(m, {
            get(target, key, receiver) {
                return key === 'default' ? m : Reflect.get(target, key, receiver);
            },
            has(target, key) {
                return key === 'default' || Reflect.has(target, key);
            },
        });
    }
    return { default: m };
}

function dynamicImport(spec, options) {
    let target = spec;
    if (typeof spec === 'string' && !spec.startsWith('node:') && !/^[a-z][a-z0-9+.-]*:/i.test(spec) &&
        !Module.isBuiltin(spec)) {
        try {
            target = pathToFileURL(userRequire.resolve(spec)).href;
        } catch {
            // let import() report it
        }
    }
    return options === undefined ? import(target) : import(target, options);
}

defineGlobal('__codeinterp', Object.freeze({ imp: importNamespace, dynImport: dynamicImport }));

// Intervals keep running between cells: a cell does not wait for them.
const intervals = new Set();
function trackedSetInterval(...args) {
    const t = realSetInterval(...args);
    intervals.add(t);
    return t;
}
globalThis.setInterval = trackedSetInterval;
timers.setInterval = trackedSetInterval;

// process.exit() ends the cell, not the kernel (like Python's SystemExit).
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

/* ----------------------------------------------------------- stack traces */

const sources = new Map(); // cell number -> source as the user wrote it
const sourceMaps = new Map(); // cell number or .ts file -> module.SourceMap
const firstCellFrame = new WeakMap(); // error -> {cell, line, col}
const CELL_FILE = /^<cell (\d+)>$/;

function keep(map, key, value) {
    map.set(key, value);
    if (map.size > KEPT_CELLS)
        map.delete(map.keys().next().value);
}

function mapPosition(key, line, col) {
    const sm = sourceMaps.get(key);
    if (!sm || !line)
        return { line, col };
    try {
        const e = sm.findEntry(line - 1, Math.max(0, (col || 1) - 1));
        if (e && typeof e.originalLine === 'number')
            return { line: e.originalLine + 1, col: e.originalColumn + 1 };
    } catch {
        // keep the generated position
    }
    return { line, col };
}

function prepareStackTrace(error, frames) {
    let header;
    try {
        header = ErrorToString.call(error);
    } catch {
        header = '<error>';
    }
    const lines = [];
    let lastWasCell = false;
    for (const frame of frames) {
        let text;
        let file;
        try {
            file = frame.getFileName() || '';
            text = String(frame);
        } catch {
            continue;
        }
        if (file === KERNEL_FILE || file === 'node:vm') {
            if (lastWasCell)
                break; // the kernel running the cell: the rest is ours
            continue;
        }
        const m = CELL_FILE.exec(file);
        lastWasCell = !!m;
        const key = m ? Number(m[1]) : file; // TypeScript modules are keyed by file
        if (m || sourceMaps.has(key)) {
            const line = frame.getLineNumber();
            const col = frame.getColumnNumber();
            const pos = mapPosition(key, line, col);
            if (pos.line !== line || pos.col !== col) {
                const from = `${file}:${line}:${col}`;
                const at = text.lastIndexOf(from);
                if (at >= 0)
                    text = text.slice(0, at) + `${file}:${pos.line}:${pos.col}` + text.slice(at + from.length);
            }
            if (m && !firstCellFrame.has(error))
                firstCellFrame.set(error, { cell: key, line: pos.line, col: pos.col });
        }
        lines.push(`    at ${text}`);
    }
    return lines.length ? `${header}\n${lines.join('\n')}` : header;
}

Error.prepareStackTrace = prepareStackTrace;

function sourceContext(where) {
    const src = where && sources.get(where.cell);
    if (src === undefined)
        return '';
    const text = src.split(/\r\n|[\n\r\u2028\u2029]/)[where.line - 1];
    if (text === undefined)
        return '';
    const caret = ' '.repeat(Math.max(0, (where.col || 1) - 1)) + '^';
    return `<cell ${where.cell}>:${where.line}\n${text}\n${caret}\n\n`;
}

function safeString(v) {
    try {
        return String(v);
    } catch (e) {
        return `<unprintable ${typeof v}>`;
    }
}

function safeInspect(v) {
    try {
        return inspect(v, { showProxy: false });
    } catch (e) {
        return `<uninspectable ${typeof v}>`;
    }
}

/* The reply's error for a thrown value. */
function isProcessExit(v) {
    try {
        return v instanceof ProcessExit;
    } catch {
        return false; // a proxy refusing getPrototypeOf
    }
}

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
        let where = firstCellFrame.get(err);
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
    const e = new SyntaxError(err.message);
    Object.defineProperty(e, 'stack', { value: head || `<cell ${cell}>\n\nSyntaxError: ${err.message}` });
    Object.defineProperty(e, '__codeinterpSyntax', { value: true });
    return e;
}

/* ------------------------------------------------------------- TypeScript */

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
    const err = new SyntaxError(text);
    Object.defineProperty(err, 'stack', { value: head });
    Object.defineProperty(err, '__codeinterpSyntax', { value: true });
    return err;
}

/* TypeScript to JavaScript: {code, map, lenient}; lenient lists import
 * specifiers that only types use (TypeScript would drop them). */
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
    return { code: out.code, map: out.map, lenient };
}

// TypeScript kernels also require() (and import) .ts files, transpiled to
// CommonJS the same way.
if (TYPESCRIPT) {
    Module._extensions['.ts'] = function loadTypeScript(module, filename) {
        if (!esbuild)
            esbuild = userRequire('esbuild');
        const source = fs.readFileSync(filename, 'utf8');
        const out = esbuild.transformSync(source, {
            loader: 'ts', format: 'cjs', target: 'node20', sourcemap: 'external', sourcefile: filename,
        });
        try {
            keep(sourceMaps, filename, new Module.SourceMap(JSONparse(out.map)));
        } catch {
            // positions of the JavaScript then
        }
        module._compile(out.code, filename);
    };
}

/* --------------------------------------------------------------- the cells */

// Resources that keep running between cells: a cell does not wait for them.
const IGNORED_RESOURCES = new Set(['TCPServerWrap', 'PipeServerWrap', 'FSEventWrap',
    'StatWatcher', 'SignalWrap', 'TTYWrap', 'TCPSocketWrap', 'TCPWrap', 'PipeWrap',
    'UDPWrap']);
const IGNORED_OWNERS = new Set(['FSWatcher', 'StatWatcher']);
let controlSocket = null;

/* Whether a socket has work under way: connecting, writing, or carrying an
 * HTTP request. An open connection with nothing to do (a pooled one, or
 * one a server of the session accepted) does not hold a cell. */
function socketBusy(sock) {
    if (sock.server || sock._server)
        return false;
    return !!(sock.connecting || sock._httpMessage || sock.writableLength > 0 || sock.pending);
}

/* fetch() requests in flight (undici announces them on diagnostics
 * channels): from creation to the end of the response body. A response whose
 * body nobody reads can stall; after its headers it holds a cell at most
 * FETCH_BODY_GRACE_MS. */
const FETCH_BODY_GRACE_MS = 2000;
const fetches = new Map(); // request -> time its headers came, or 0
try {
    const dc = require('diagnostics_channel');
    dc.subscribe('undici:request:create', (m) => fetches.set(m.request, 0));
    dc.subscribe('undici:request:headers', (m) => {
        if (fetches.has(m.request))
            fetches.set(m.request, Date.now());
    });
    dc.subscribe('undici:request:trailers', (m) => fetches.delete(m.request));
    dc.subscribe('undici:request:error', (m) => fetches.delete(m.request));
} catch {
    // no channels: fetch() does not hold a cell
}

function fetchesInFlight() {
    let n = 0;
    const now = Date.now();
    for (const [request, headersAt] of fetches) {
        if (headersAt && now - headersAt > FETCH_BODY_GRACE_MS)
            fetches.delete(request);
        else
            n++;
    }
    return n;
}

/* What is running, by kind: {kind: count}. */
function resourceCounts() {
    const counts = new Map();
    const add = (kind) => counts.set(kind, (counts.get(kind) || 0) + 1);
    const info = process.getActiveResourcesInfo();
    if (typeof process._getActiveHandles === 'function' &&
        typeof process._getActiveRequests === 'function') {
        for (const h of process._getActiveHandles()) {
            if (!h || h === controlSocket || h instanceof net.Server)
                continue;
            const kind = h.constructor ? h.constructor.name : typeof h;
            if (IGNORED_OWNERS.has(kind))
                continue;
            if (h instanceof net.Socket && !socketBusy(h))
                continue;
            add(`handle ${kind}`);
        }
        for (const r of process._getActiveRequests())
            add(`request ${r && r.constructor ? r.constructor.name : typeof r}`);
        for (const r of info)
            if (r === 'Timeout' || r === 'Immediate')
                add(r);
    } else {
        for (const r of info)
            if (!IGNORED_RESOURCES.has(r))
                add(r);
    }
    const inFlight = fetchesInFlight();
    if (inFlight)
        counts.set('fetch', inFlight);
    let live = 0;
    for (const t of intervals) {
        if (t._destroyed)
            intervals.delete(t);
        else if (typeof t.hasRef !== 'function' || t.hasRef())
            live++;
    }
    if (live)
        counts.set('Timeout', Math.max(0, (counts.get('Timeout') || 0) - live));
    return counts;
}

function busyBeyond(baseline) {
    for (const [kind, n] of resourceCounts())
        if (n > (baseline.get(kind) || 0))
            return true;
    return false;
}

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

async function runCell(code) {
    const cell = ++cellCount;
    const reply = { status: 'ok', exit_code: 0, value: null, error: null };
    keep(sources, cell, code);
    let wake;
    const woken = new PromiseCtor((resolve) => { wake = resolve; });
    current = { failure: null, wake };
    let outcome = null; // {value} or {thrown}
    try {
        let js = code;
        let lenient = null;
        if (TYPESCRIPT) {
            const t = await transpile(code, cell);
            js = t.code;
            lenient = t.lenient;
            try {
                keep(sourceMaps, cell, new Module.SourceMap(JSONparse(t.map)));
            } catch {
                // stack positions stay those of the JavaScript
            }
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

/* ---------------------------------------------------------- the main loop */

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

function main() {
    const ctl = new net.Socket({ fd: CONTROL_FD, readable: true, writable: true });
    controlSocket = ctl;
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
                    reply = await runCell(typeof request.code === 'string' ? request.code : '');
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
    ctl.on('end', () => realExit(0));
    ctl.on('close', () => realExit(0));
    ctl.on('error', () => realExit(0));
}

main();
