// SPDX-License-Identifier: MIT
/*
 * The rewriting that gives cells a persistent context. Every cell runs in
 * the kernel's own (main) realm, so objects from cells and from require()d
 * libraries share one set of builtins. A cell is tokenized (not fully
 * parsed) to find its top-level statements; then
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
 * resolves bare names like require() does (NODE_PATH); globals.js has both.
 * The rewriting keeps every line where it was, so stack line numbers are the
 * user's. V8 checks each candidate (compile.js): a rewrite that does not
 * compile falls back to the cell as written.
 */
'use strict';

const { tokensOf, isName, isPunct, JSONparseSafe } = require('./tokenizer');
const { splitStatements } = require('./statements');

const STATEMENT_KEYWORDS = new Set(['if', 'for', 'while', 'do', 'switch', 'try', 'throw',
    'return', 'var', 'const', 'function', 'class', 'import', 'export', 'break', 'continue',
    'debugger', 'with', 'enum']);

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

function hasAwaitToken(src) {
    if (!/\bawait\b/.test(src))
        return false;
    const toks = tokensOf(src);
    return toks.some((t, k) => isName(t, 'await') && !(k > 0 && isPunct(toks[k - 1], '.')));
}

module.exports = { rewrite, hasAwaitToken };
