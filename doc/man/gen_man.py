#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Man pages (section 3) from the doc comments of the public header.

    gen_man.py --list HEADER
        prints the names of the pages it makes, one per line
    gen_man.py --outdir DIR --version X.Y.Z HEADER
        writes DIR/<function>.3 for every CI_EXPORT function and
        DIR/libcodeinterp.3, the overview

The header is the only source: each function's page holds its prototype,
the typedefs it uses (enums, callbacks, opaque handles), its doc comment
(@param, @return, @since, @deprecated become sections), the comment that
opens its part of the header (e.g. the rules of the file calls), and the
other functions of that part. The doc comment format is the one described
in doc/ABI.md ("Adding a function").
"""
import argparse
import os
import re
import sys

TAGS = ("param", "return", "since", "deprecated", "file", "brief")
TAG_SPLIT = re.compile(r"@(?=(?:%s)\b)" % "|".join(TAGS))


# ------------------------------------------------------------------ parse --

class Item:
    def __init__(self, kind, text, doc=None):
        self.kind = kind    # "comment", "pp" (preprocessor), "decl"
        self.text = text
        self.doc = doc      # the /** */ comment just before a decl or a pp line


def scan(source):
    """The header as a list of comments, preprocessor lines and
    declarations (each up to its ';'), in order."""
    # the C++ guards are not part of the interface
    source = re.sub(r"#ifdef __cplusplus\n.*?#endif\n", "", source, flags=re.S)
    items = []
    i, n = 0, len(source)
    while i < n:
        if source.startswith("/*", i):
            end = source.index("*/", i) + 2
            items.append(Item("comment", source[i:end]))
            i = end
        elif source[i] == "#":
            end = i
            while True:
                end = source.find("\n", end)
                if end < 0:
                    end = n
                    break
                if source[end - 1] != "\\":
                    break
                end += 1
            items.append(Item("pp", source[i:end]))
            i = end
        elif source[i].isspace():
            i += 1
        else:
            depth, j = 0, i
            while j < n:
                if source.startswith("/*", j):
                    j = source.index("*/", j) + 2
                    continue
                c = source[j]
                if c == "{":
                    depth += 1
                elif c == "}":
                    depth -= 1
                elif c == ";" and depth == 0:
                    break
                j += 1
            items.append(Item("decl", source[i:j + 1]))
            i = j + 1
    # attach each /** */ comment to the item that follows it
    out = []
    for item in items:
        if out and item.kind in ("decl", "pp") and out[-1].kind == "comment" \
                and out[-1].text.startswith("/**") and "@file" not in out[-1].text:
            item.doc = out.pop().text
        out.append(item)
    return out


def comment_text(comment):
    """The words of a comment without its /** * */ markers, lines kept."""
    body = re.sub(r"^/\*\*?<?", "", comment)
    body = re.sub(r"\*/$", "", body)
    lines = []
    for line in body.split("\n"):
        line = re.sub(r"^\s*\*(?!/) ?", "", line) if line.lstrip().startswith("*") else line.strip()
        lines.append(line.rstrip())
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


class Doc:
    """A doc comment split into its body and its @tags."""

    def __init__(self, comment):
        parts = TAG_SPLIT.split(comment_text(comment)) if comment else [""]
        self.body = parts[0].strip()
        self.params = []
        self.returns = None
        self.since = None
        self.deprecated = None
        for part in parts[1:]:
            tag, _, rest = part.partition(" ")
            tag = tag.strip()
            rest = " ".join(rest.split())
            if tag == "param":
                name, _, what = rest.partition(" ")
                self.params.append((name, what))
            elif tag == "return":
                self.returns = rest
            elif tag == "since":
                self.since = rest
            elif tag == "deprecated":
                self.deprecated = rest
            elif tag == "brief":
                self.body = (rest + "\n\n" + self.body).strip()


class Function:
    def __init__(self, decl, doc, section):
        m = re.match(r"CI_EXPORT\s+(.*?)\b(ci_\w+)\s*\((.*)\)\s*;$", decl, re.S)
        if not m:
            raise ValueError("cannot read the declaration: %s" % decl)
        self.ret = " ".join(m.group(1).split())
        self.name = m.group(2)
        self.prototype = " ".join(decl.replace("CI_EXPORT", "").split())
        self.params = " ".join(m.group(3).split())
        self.doc = Doc(doc)
        self.section = section


class Typedef:
    def __init__(self, decl, doc):
        self.decl = decl
        self.doc = Doc(doc)
        cb = re.search(r"\(\s*\*\s*(\w+)\s*\)", decl)
        if cb and "{" not in decl:
            self.name, self.kind = cb.group(1), "callback"
        else:
            self.name = re.search(r"(\w+)\s*;$", decl).group(1)
            self.kind = "enum" if decl.startswith("typedef enum") else "struct"


class Header:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            items = scan(f.read())
        self.overview = ""
        self.sections = []          # [title, note, [functions]]
        self.functions = []
        self.typedefs = {}
        self.macros = []
        section = ["Library", "", []]
        k = 0
        while k < len(items):
            item = items[k]
            if item.kind == "comment":
                text = item.text
                if text.startswith("/**") and "@file" in text:
                    # the paragraphs after the @file and @brief lines
                    paras = re.split(r"\n\s*\n", comment_text(text))
                    self.overview = "\n\n".join(p for p in paras if not p.startswith("@"))
                elif re.match(r"/\* -+ \*/", text) and k + 2 < len(items) \
                        and re.match(r"/\* -+ \*/", items[k + 2].text):
                    section = [comment_text(items[k + 1].text).strip(), "", []]
                    self.sections.append(section)
                    k += 3
                    continue
                elif not text.startswith("/**") and "\n" in text:
                    section[1] = (section[1] + "\n\n" + comment_text(text)).strip()
            elif item.kind == "pp" and item.text.startswith("#define CI_") \
                    and (item.doc or item.text.startswith("#define CI_VERSION")):
                # the version macros share one comment; CI_EXPORT has none
                self.macros.append(item)
            elif item.kind == "decl" and "CI_EXPORT" in item.text:
                fn = Function(item.text, item.doc, section[0])
                self.functions.append(fn)
                section[2].append(fn)
            elif item.kind == "decl" and item.text.startswith("typedef"):
                td = Typedef(item.text, item.doc)
                self.typedefs[td.name] = td
            k += 1


# ------------------------------------------------------------------ roff --

def esc(text):
    return text.replace("\\", "\\e")


def inline(text):
    """Plain doc text to roff: `code` and function names bold."""
    out = []
    for i, part in enumerate(text.split("`")):
        if i % 2:
            out.append("\\fB" + esc(part) + "\\fR")
            continue
        part = esc(part)
        part = re.sub(r"\b(ci_\w+)\(\)", r"\\fB\1\\fR()", part)
        part = re.sub(r"\b(CI_[A-Z0-9_]+)\b", r"\\fB\1\\fR", part)
        out.append(part)
    return "".join(out)


def line_safe(text):
    """Keeps roff from reading a line of text as a request."""
    return "\n".join("\\&" + l if l[:1] in (".", "'") else l for l in text.split("\n"))


def versions(since):
    """The VERSIONS section's text of `@since X.Y`, or `@since X.Y (what
    came later, since X.Z)`: the release on a line of its own, then the
    remark as a sentence."""
    m = re.match(r"(\d+(?:\.\d+)*)\s*(?:\((.*)\))?\s*\.?$", since or "", re.S)
    if not m:
        return ".PP\nSince libcodeinterp %s." % (since or "(unknown)")
    text = ".PP\nSince libcodeinterp %s." % m.group(1)
    remark = (m.group(2) or "").strip()
    if remark:
        text += "\n.PP\n" + line_safe(inline(remark[0].upper() + remark[1:].rstrip(".") + "."))
    return text


def paragraphs(text):
    """Doc text to roff paragraphs; lines starting with "- " are a list."""
    out = []
    for para in re.split(r"\n\s*\n", text.strip()):
        lines = para.split("\n")
        if lines[0].lstrip().startswith("- "):
            items, cur = [], None
            for line in lines:
                if line.lstrip().startswith("- "):
                    cur = [line.lstrip()[2:]]
                    items.append(cur)
                else:
                    cur.append(line.strip())
            for words in items:
                out.append(".IP \\(bu 2\n" + line_safe(inline(" ".join(words))))
            out.append(".PP")
        else:
            out.append(".PP\n" + line_safe(inline(" ".join(l.strip() for l in lines))))
    return "\n".join(out)


def code_block(text):
    lines = [esc(l).replace("-", "\\-") for l in text.split("\n")]
    return ".nf\n" + line_safe("\n".join(lines)) + "\n.fi"


def as_c_comment(doc_comment):
    """A header doc comment as a plain C comment for the SYNOPSIS."""
    return doc_comment.replace("/**<", "/*").replace("/**", "/*")


def summary(doc):
    """The first sentence of a doc body, for the NAME line."""
    text = " ".join(doc.body.split())
    m = re.match(r"(.+?[.:])(\s|$)", text)
    first = (m.group(1) if m else text).rstrip(".:")
    if len(first) > 64:  # the NAME line is a one-line summary: no asides
        while re.search(r"\s*\([^()]*\)", first):
            first = re.sub(r"\s*\([^()]*\)", "", first)
        cut = re.search(r"[,;] ", first[24:])
        if cut:
            first = first[:24 + cut.start()]
    if first.count("(") > first.count(")"):  # cut inside an aside
        first = first[:first.rindex("(")].rstrip(" ,;")
    if len(first) > 1 and first[0].isupper() and first[1].islower():
        first = first[0].lower() + first[1:]
    return first.replace("`", "")


def th(name, version):
    # .nh .ad l: function names must not be hyphenated or stretched
    return ('.TH %s 3 "" "libcodeinterp %s" "libcodeinterp Manual"\n.nh\n.ad l'
            % (name.upper(), version))


def see_also(names):
    names = sorted(set(names))
    return "\n".join(".BR %s (3)%s" % (n, "," if i < len(names) - 1 else "")
                     for i, n in enumerate(names))


def function_page(header, fn, version):
    known = {f.name for f in header.functions}
    used = [td for name, td in header.typedefs.items()
            if re.search(r"\b%s\b" % name, fn.prototype)]
    out = [th(fn.name, version),
           ".SH NAME",
           "%s \\- %s" % (fn.name, line_safe(inline(summary(fn.doc)) or "libcodeinterp call")),
           ".SH LIBRARY",
           "libcodeinterp (\\fI\\-lcodeinterp\\fR, pkg-config \\fIcodeinterp\\fR)",
           ".SH SYNOPSIS",
           ".nf",
           ".B #include <codeinterp/codeinterp.h>",
           ".fi"]
    for td in used:
        text = td.decl
        if td.kind == "enum":
            text = re.sub(r"/\*\*<?.*?\*/", lambda m: as_c_comment(m.group(0)), text, flags=re.S)
        out.append(".PP")
        out.append(code_block(text))
    out.append(".PP")
    out.append(code_block(fn.prototype))
    out.append(".SH DESCRIPTION")
    out.append(paragraphs(fn.doc.body) if fn.doc.body else ".PP\n(undocumented)")
    for td in used:
        if td.kind == "callback" and td.doc.body:
            out.append(".SS The %s callback" % td.name)
            out.append(paragraphs(td.doc.body))
    if fn.doc.params:
        out.append(".SS Parameters")
        for name, what in fn.doc.params:
            out.append(".TP\n.I %s\n%s" % (name, line_safe(inline(what))))
    section = next(s for s in header.sections if s[0] == fn.section) \
        if fn.section in [s[0] for s in header.sections] else None
    if section and section[1]:
        out.append(".SS %s" % esc(section[0].split(" (")[0]))
        out.append(paragraphs(section[1]))
    out.append(".SH RETURN VALUE")
    if fn.doc.returns:
        out.append(".PP\n" + line_safe(inline(fn.doc.returns)))
    elif fn.ret == "int" and re.search(r"_(new|set_\w+|create)$", fn.name):
        out.append(".PP\n0 on success, or a negative \\fBci_error\\fR code (\\fBCI_EINVAL\\fR "
                   "for a NULL handle or a value out of range); \\fBci_last_error\\fR(3) "
                   "gives the detailed message. Output parameters are written only on success.")
    elif fn.ret == "void":
        out.append(".PP\nNone.")
    else:
        out.append(".PP\nAs described above.")
    if fn.doc.deprecated:
        out.append(".SH DEPRECATED\n.PP\n" + line_safe(inline(fn.doc.deprecated)))
    out.append(".SH VERSIONS")
    out.append(versions(fn.doc.since))
    out.append(".SH THREAD SAFETY")
    out.append(".PP\nA session is used from one thread at a time; distinct sessions may be "
               "used from different threads at once; \\fBci_session_cancel\\fR(3) is safe from "
               "any thread. See \\fBlibcodeinterp\\fR(3).")
    refs = set(re.findall(r"\b(ci_\w+)\(\)", fn.doc.body + " " + (fn.doc.returns or "")))
    siblings = {f.name for f in section[2]} if section else set()
    others = ((refs & known) | siblings) - {fn.name}
    out.append(".SH SEE ALSO")
    out.append(see_also(list(others) + ["libcodeinterp"]))
    return "\n".join(out) + "\n"


def overview_page(header, version):
    out = [th("libcodeinterp", version),
           ".SH NAME",
           "libcodeinterp \\- run untrusted Python, JavaScript and TypeScript in a sandbox",
           ".SH LIBRARY",
           "libcodeinterp (\\fI\\-lcodeinterp\\fR, pkg-config \\fIcodeinterp\\fR)",
           ".SH SYNOPSIS",
           ".nf",
           ".B #include <codeinterp/codeinterp.h>",
           ".PP",
           ".B cc app.c $(pkg\\-config \\-\\-cflags \\-\\-libs codeinterp)",
           ".fi",
           ".SH DESCRIPTION",
           paragraphs(header.overview),
           ".PP",
           "Each function has its own page, listed below by part of the header. "
           "The user guide (doc/guide.md in the source tree) explains sessions, languages, "
           "files, limits, the audit trail and the JSON tool calls; doc/ABI.md states the "
           "stability promise."]
    errors = header.typedefs.get("ci_error")
    if errors:
        out.append(".SH ERROR CODES")
        out.append(".PP\nFallible calls return 0 or one of these negative codes; "
                   "\\fBci_strerror\\fR(3) names them and \\fBci_last_error\\fR(3) gives the "
                   "detailed message. The values never change.")
        for m in re.finditer(r"(CI_\w+)\s*=\s*(-?\d+),?\s*(/\*\*<.*?\*/)?", errors.decl, re.S):
            what = " ".join(comment_text(m.group(3)).split()) if m.group(3) else ""
            out.append(".TP\n.B %s (%s)\n%s" % (m.group(1), m.group(2),
                                                line_safe(inline(what)) or "success"))
    out.append(".SH FUNCTIONS")
    for title, note, fns in header.sections:
        if not fns:
            continue
        out.append(".SS %s" % esc(title))
        if note:
            out.append(paragraphs(note))
        for fn in fns:
            out.append(".TP\n.BR %s (3)\n%s" % (fn.name, line_safe(inline(summary(fn.doc)))))
    if header.macros:
        out.append(".SH MACROS")
        for item in header.macros:
            out.append(".PP")
            out.append(code_block(item.text))
            if item.doc:
                out.append(paragraphs(Doc(item.doc).body))
    out.append(".SH SEE ALSO")
    out.append(see_also(["ci_session_create", "ci_execute", "ci_execute_oneshot",
                         "ci_upload", "ci_invoke_json"]))
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("header")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--outdir")
    ap.add_argument("--version", default="0")
    args = ap.parse_args()
    header = Header(args.header)
    names = [fn.name for fn in header.functions] + ["libcodeinterp"]
    if args.list:
        print("\n".join(names))
        return 0
    if not args.outdir:
        ap.error("--outdir or --list is required")
    os.makedirs(args.outdir, exist_ok=True)
    pages = {fn.name: function_page(header, fn, args.version) for fn in header.functions}
    pages["libcodeinterp"] = overview_page(header, args.version)
    for name, text in pages.items():
        with open(os.path.join(args.outdir, name + ".3"), "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
