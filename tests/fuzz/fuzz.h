/* SPDX-License-Identifier: MIT */
/*
 * The libFuzzer entry point every harness defines. Built with -Dfuzz=true
 * (clang, scripts/fuzz) libFuzzer drives it; in a normal build
 * replay_main.c drives it over the corpus and the kept crashers, so each
 * finding stays a regression test of `meson test --suite fuzz-regress`.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
