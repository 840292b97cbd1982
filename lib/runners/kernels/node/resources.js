// SPDX-License-Identifier: MIT
/*
 * What a cell waits for. A cell ends when its code has finished and the
 * timers, requests, child processes and busy sockets (connecting, writing, or
 * carrying an HTTP request) it started are done, as `node -e` would wait for
 * them; intervals, listening servers and idle connections keep running
 * between cells without holding one.
 */
'use strict';

const net = require('net');
const timers = require('timers');

// Intervals keep running between cells: a cell does not wait for them.
const realSetInterval = timers.setInterval;
const intervals = new Set();
function trackedSetInterval(...args) {
    const t = realSetInterval(...args);
    intervals.add(t);
    return t;
}
globalThis.setInterval = trackedSetInterval;
timers.setInterval = trackedSetInterval;

// Resources that keep running between cells: a cell does not wait for them.
const IGNORED_RESOURCES = new Set(['TCPServerWrap', 'PipeServerWrap', 'FSEventWrap',
    'StatWatcher', 'SignalWrap', 'TTYWrap', 'TCPSocketWrap', 'TCPWrap', 'PipeWrap',
    'UDPWrap']);
const IGNORED_OWNERS = new Set(['FSWatcher', 'StatWatcher']);
let controlSocket = null;

/* The kernel's own socket to the library never holds a cell. */
function setControlSocket(sock) {
    controlSocket = sock;
}

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

module.exports = { resourceCounts, busyBeyond, setControlSocket };
