// SPDX-License-Identifier: MIT
/*
 * Values as text, even those whose toString() or inspection throws.
 */
'use strict';

const { inspect } = require('./builtins');

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

module.exports = { safeString, safeInspect };
