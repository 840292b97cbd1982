// SPDX-License-Identifier: MIT
/*
 * A cell's top-level statements, from its tokens (tokenizer.js).
 */
'use strict';

const { isName, isPunct } = require('./tokenizer');

// names that cannot be the last token of an expression
const NOT_ENDING = new Set(['break', 'case', 'catch', 'class', 'const', 'continue', 'debugger',
    'default', 'delete', 'do', 'else', 'export', 'extends', 'finally', 'for', 'function', 'if',
    'import', 'in', 'instanceof', 'new', 'return', 'switch', 'throw', 'try', 'typeof', 'var',
    'void', 'while', 'with', 'yield', 'let', 'await', 'enum']);
// names that continue the statement before them when they start a line
const CONTINUING = new Set(['in', 'instanceof', 'else', 'catch', 'finally', 'as', 'satisfies']);

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

module.exports = { splitStatements };
