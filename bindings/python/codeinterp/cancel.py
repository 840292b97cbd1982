# SPDX-License-Identifier: MIT
"""Cancel: a request to stop one call that is remembered (ci_cancel)."""
import ctypes
import threading

from ._clib import check, lib


class Cancel:
    """A cancel handle for one call: pass it as `cancel=` to
    Session.execute(), execute_command() or invoke(), and call request()
    from any thread, at any time. While the call runs, its processes are
    killed (status "killed"), as Session.cancel() does; before the call
    starts (it waits for the session, e.g. behind a lock of your own), the
    call returns a "killed" result at once and nothing runs. Session.cancel()
    cannot do the second: a cancel made while nothing runs is dropped.
    A requested handle stays requested: use one per call.

        stop = codeinterp.Cancel()
        threading.Timer(5, stop.request).start()
        result = session.execute("while True: pass", cancel=stop)
        assert result.status == "killed"
    """

    def __init__(self):
        out = ctypes.c_void_p()
        check(lib.ci_cancel_create(ctypes.byref(out)))
        self._handle = out
        self._lock = threading.Lock()

    def request(self):
        """Fires the handle; again is harmless, and so is after close()."""
        with self._lock:
            if self._handle:
                check(lib.ci_cancel_request(self._handle))

    @property
    def requested(self):
        """True once request() was called."""
        with self._lock:
            return bool(self._handle) and lib.ci_cancel_requested(self._handle) != 0

    @property
    def handle(self):
        """The ci_cancel handle, for the calls of this package."""
        if not self._handle:
            raise ValueError("this Cancel was closed")
        return self._handle

    def close(self):
        """Frees the handle; no call may use it any more."""
        with self._lock:
            if self._handle:
                lib.ci_cancel_free(self._handle)
                self._handle = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def __repr__(self):
        return "Cancel(requested=%s)" % self.requested
