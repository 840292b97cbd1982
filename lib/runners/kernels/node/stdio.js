// SPDX-License-Identifier: MIT
/*
 * The cells' stdout and stderr: the process's own fds 1 and 2, written
 * synchronously, so everything a cell printed is in the pipes before its
 * reply is sent. process.stdout, process.stderr and console write there.
 */
'use strict';

const fs = require('fs');
const { BufferCtor } = require('./builtins');

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

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

module.exports = { writeAllSync };
