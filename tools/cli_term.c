/* SPDX-License-Identifier: MIT */
/*
 * What `codeinterp exec` writes to a terminal of sandboxed output. Code in
 * the sandbox chooses these bytes, and a terminal obeys escape sequences:
 * OSC 52 writes the clipboard, OSC 0/2 the window title, DCS and APC
 * reach terminal features, CSI moves the cursor and can repaint what the
 * user saw. So on a terminal every control character is shown, not
 * obeyed: ESC as "^[", other C0 controls and DEL in caret notation, the C1
 * controls (U+0080..U+009F, which some terminals take as 8-bit ESC
 * sequences) as "<U+009B>". Nothing is dropped: the sequence stays
 * readable. Kept as they are: text, tab, newline, carriage return and
 * backspace (progress bars), and SGR sequences (ESC [ digits ; : m),
 * which only set colours and attributes.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* The longest SGR sequence passed through; a longer one is shown. */
#define SGR_MAX 32

static int emit(cli_term *t, const char *data, size_t len)
{
    return cli_write_all(t->fd, data, len);
}

/* Writes the held ESC sequence: as it is (SGR) or shown, ESC as "^[" (what
 * follows it in the hold is '[' and parameters, all printable). */
static int flush_held(cli_term *t, int as_is)
{
    int r = as_is ? emit(t, t->held, t->held_len) : emit(t, "^[", 2);
    if (r == 0 && !as_is && t->held_len > 1)
        r = emit(t, t->held + 1, t->held_len - 1);
    t->held_len = 0;
    return r;
}

/* The byte c after the held "ESC" or "ESC [ params": 1 when it completes
 * an SGR sequence (*sgr set) or may still be part of one, 0 when the
 * sequence is no SGR. */
static int sgr_step(const cli_term *t, unsigned char c, int *sgr)
{
    *sgr = 0;
    if (t->held_len == 1)
        return c == '[';
    if (c == 'm')
        return *sgr = 1;
    return (c >= '0' && c <= '9') || c == ';' || c == ':';
}

static int show_control(cli_term *t, unsigned char c)
{
    char text[12];
    if (c == 0x7f)
        return emit(t, "^?", 2);
    snprintf(text, sizeof text, "^%c", c + '@');
    return emit(t, text, 2);
}

int cli_term_write(cli_term *t, const char *data, size_t len)
{
    if (!t->filter)
        return cli_write_all(t->fd, data, len);
    const unsigned char *p = (const unsigned char *)data;
    size_t plain = 0; /* start of the run of bytes passed as they are */
    int r = 0;
    for (size_t i = 0; r == 0 && i < len; i++) {
        unsigned char c = p[i];
        if (t->held_len) { /* inside ESC ... or after a 0xC2 lead byte */
            if (t->held[0] == '\xc2') {
                t->held_len = 0;
                if (c >= 0x80 && c <= 0x9f) {
                    char text[12];
                    snprintf(text, sizeof text, "<U+%04X>", c);
                    r = emit(t, text, strlen(text));
                    plain = i + 1;
                } else {
                    r = emit(t, "\xc2", 1);
                    plain = i--; /* c again, as an ordinary byte */
                }
                continue;
            }
            int sgr;
            if (sgr_step(t, c, &sgr) && t->held_len < SGR_MAX) {
                t->held[t->held_len++] = (char)c;
                if (sgr)
                    r = flush_held(t, 1);
                plain = i + 1;
            } else {
                /* no SGR: what is held is shown, c is looked at again */
                r = flush_held(t, 0);
                plain = i--;
            }
            continue;
        }
        int keep = c >= 0x20 ? c != 0x7f && c != 0xc2
                             : c == '\n' || c == '\t' || c == '\r' || c == '\b';
        if (keep)
            continue;
        if (i > plain)
            r = emit(t, data + plain, i - plain);
        if (r == 0 && (c == 0x1b || c == 0xc2)) {
            t->held[0] = (char)c;
            t->held_len = 1;
        } else if (r == 0) {
            r = show_control(t, c);
        }
        plain = i + 1;
    }
    if (r == 0 && plain < len)
        r = emit(t, data + plain, len - plain);
    return r;
}

int cli_term_finish(cli_term *t)
{
    if (!t->held_len)
        return 0;
    if (t->held[0] == '\xc2') {
        t->held_len = 0;
        return emit(t, "\xc2", 1);
    }
    return flush_held(t, 0);
}
