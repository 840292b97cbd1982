// SPDX-License-Identifier: MIT
/*
 * Builtins the kernel relies on, taken before any user code can replace
 * them (every module of the kernel is loaded before the first cell runs).
 */
'use strict';

const timers = require('timers');
const util = require('util');

module.exports = Object.freeze({
    JSONstringify: JSON.stringify,
    JSONparse: JSON.parse,
    ErrorToString: Error.prototype.toString,
    realSetImmediate: setImmediate,
    realSetTimeout: timers.setTimeout,
    PromiseCtor: Promise,
    BufferCtor: Buffer,
    inspect: util.inspect,
});
