/* SPDX-License-Identifier: MIT */
/*
 * The names of the public enumerations, one table each: the API's
 * ci_*_name() and ci_*_from_name() calls, the JSON answers and the audit
 * trail all read them here, so a value added to an enumeration is named
 * once. Names are lowercase ASCII; parsing ignores ASCII case.
 */
#pragma once
#include <stddef.h>

#include "codeinterp/codeinterp.h"

/* The canonical name of a value, or NULL for a value the enumeration does
 * not have (so these also say whether a value is valid). */
const char *ci_names_language(ci_language language);
const char *ci_names_status(ci_status status);
const char *ci_names_task_status(ci_task_status status);
const char *ci_names_network(ci_network network);
const char *ci_names_cgroup_mode(ci_cgroup_mode mode);
/* How an execution was limited, in the words of the result JSON's
 * "limits": "cgroup-auto", "cgroup-v1", "cgroup-v2" or "rlimits". */
const char *ci_names_limits(ci_cgroup_mode mode);

/* The value called `name` (languages also answer to "py", "js", "ts", "sh"):
 * 0, or CI_EUNKNOWN (a NULL name included) with *out untouched. */
int ci_names_language_parse(const char *name, ci_language *out);
int ci_names_network_parse(const char *name, ci_network *out);
int ci_names_task_status_parse(const char *name, ci_task_status *out);
int ci_names_cgroup_mode_parse(const char *name, ci_cgroup_mode *out);

/* The canonical names, ", "-separated ("none, host"), for the messages
 * that list the choices; cut to fit `cap` (which must not be 0). A buffer
 * of CI_NAMES_CHOICES_MAX bytes holds every list. */
#define CI_NAMES_CHOICES_MAX 128
void ci_names_language_choices(char *buf, size_t cap);
void ci_names_network_choices(char *buf, size_t cap);
void ci_names_cgroup_mode_choices(char *buf, size_t cap);
