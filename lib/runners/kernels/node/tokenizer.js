// SPDX-License-Identifier: MIT
/*
 * A JavaScript tokenizer, enough to find a cell's top-level statements and
 * rewrite them (statements.js, rewrite.js): it tells regular expressions from
 * divisions and follows templates and brackets, but does not parse.
 */
'use strict';

const { JSONparse } = require('./builtins');

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
const CONTROL_HEADS = new Set(['if', 'while', 'for', 'with', 'switch', 'catch']);

function isLineBreak(c) {
    return c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
}

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

/*
 * Splits source into tokens {type, value, start, end, nl, depth}: type is
 * name, num, str, regex, tmpl (a whole template or its last part), tmplHead
 * (up to the first `${`), tmplMid, priv or punct; nl tells whether a line
 * break precedes the token; depth counts the brackets around it (an opening
 * bracket and its closing one have the depth of their outside).
 */
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

/* Token tests: a name (with the value v, if given), the punctuator v. */
const isName = (t, v) => t && t.type === 'name' && (v === undefined || t.value === v);
const isPunct = (t, v) => t && t.type === 'punct' && t.value === v;

/* The value of a string token: its quotes and escapes undone. */
function JSONparseSafe(s) {
    try {
        return JSONparse(s[0] === "'" ? '"' + s.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"') + '"' : s);
    } catch {
        return s.slice(1, -1);
    }
}

module.exports = { tokenize, tokensOf, isName, isPunct, JSONparseSafe };
