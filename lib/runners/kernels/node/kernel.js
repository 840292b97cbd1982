// SPDX-License-Identifier: MIT
/*
 * libcodeinterp's JavaScript and TypeScript kernel: runs cells sent by the
 * library, inside the sandbox, on node (`node kernel.js [--typescript]`).
 *
 *   channel.js        the requests and replies on fd 3
 *   run_cell.js       one cell, from its source to its reply
 *   call_context.js   the request's env and cwd, for its cell only
 *   compile.js        a cell compiled, in the persistent context if it can be
 *   rewrite.js        the persistent context: how a cell is rewritten for it
 *   tokenizer.js, statements.js   the tokens and top-level statements it rewrites
 *   typescript.js     TypeScript cells and .ts files, through esbuild
 *   resources.js      what a cell waits for before it ends
 *   globals.js        require, module, the built-in modules... as globals
 *   stdio.js          stdout and stderr, written synchronously
 *   process_exit.js   process.exit() ends the cell, not the kernel
 *   stack_traces.js, errors.js, format.js   what the user sees of errors and values
 *   builtins.js       builtins taken before user code can replace them
 *
 * Modules are loaded relative to this file: the library mounts the kernel
 * folder at /opt/codeinterp/kernels, this file at node/kernel.js in it.
 */
'use strict';

// Loading these sets up the cells' environment: process.stdout, stderr and
// console, the globals, process.exit and the stacks of errors.
require('./stdio');
require('./globals');
require('./process_exit');
require('./stack_traces');
const typescript = require('./typescript');
const { setControlSocket } = require('./resources');
const { runCell } = require('./run_cell');
const { withCallContext } = require('./call_context');
const { serve } = require('./channel');

const TYPESCRIPT = process.argv.includes('--typescript');

if (TYPESCRIPT)
    typescript.registerTsLoader();
const transpile = TYPESCRIPT ? typescript.transpile : null;
setControlSocket(serve((code, request) =>
    withCallContext(request, () => runCell(code, transpile))));
