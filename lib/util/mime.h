/* SPDX-License-Identifier: MIT */
/* Media types of workspace files, guessed from the name's extension. */
#pragma once

/* The media type for `name` (case-insensitive extension: txt, csv, json,
 * png, jpg, svg, html, py, js, ts, parquet, xlsx, xls, pdf, ...), or
 * "application/octet-stream" when the extension is unknown or missing.
 * Static text. */
const char *ci_mime_type(const char *name);
