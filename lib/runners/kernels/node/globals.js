// SPDX-License-Identifier: MIT
/*
 * The globals a cell sees besides node's own, as in `node -e`: require,
 * module, exports, __filename, __dirname and the built-in modules; and
 * __codeinterp, which the rewritten imports call (rewrite.js).
 */
'use strict';

const path = require('path');
const Module = require('module');
const { pathToFileURL } = require('url');

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

module.exports = { userRequire };
