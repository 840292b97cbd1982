// SPDX-License-Identifier: MIT
/*
 * The stacks of errors as users see them: frames in their cells' lines and
 * columns (a TypeScript cell's or .ts file's through its source map), none of
 * the kernel's own, and the line of the cell where an error was thrown.
 */
'use strict';

const path = require('path');
const Module = require('module');
const { JSONparse, ErrorToString } = require('./builtins');

const KEPT_CELLS = 200; // sources and source maps kept for stack traces

const sources = new Map(); // cell number -> source as the user wrote it
const sourceMaps = new Map(); // cell number or .ts file -> module.SourceMap
const firstCellFrame = new WeakMap(); // error -> {cell, line, col}
const CELL_FILE = /^<cell (\d+)>$/;
const KERNEL_DIR = __dirname; // every file of the kernel is in this folder

function keep(map, key, value) {
    map.set(key, value);
    if (map.size > KEPT_CELLS)
        map.delete(map.keys().next().value);
}

function keepSource(cell, src) {
    keep(sources, cell, src);
}

/* Keeps the source map (esbuild's JSON) of a TypeScript cell or file. */
function keepSourceMap(key, json) {
    try {
        keep(sourceMaps, key, new Module.SourceMap(JSONparse(json)));
    } catch {
        // stack positions stay those of the JavaScript
    }
}

/* Where in its cell an error was thrown: {cell, line, col} or undefined. */
function cellFrameOf(error) {
    return firstCellFrame.get(error);
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
        if (path.dirname(file) === KERNEL_DIR || file === 'node:vm') {
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

module.exports = { keepSource, keepSourceMap, cellFrameOf, sourceContext };
